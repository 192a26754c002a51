import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planExecDry } from '../../../sdk/container/exec-dry-plan.ts';

test('exec plan: the fds, the cgroups it joins, the argv quoted as a shell would need', () => {
  assert.equal(
    planExecDry({
      name: 'web',
      argv: ['/n/conductor-init', '--join', '42:7', '--', 'sh', '-c', 'echo $HOME'],
      fds: ['/sys/fs/cgroup/conductor/ab/cgroup.procs', '/r/web/seccomp.bpf'],
      cgroups: ['/sys/fs/cgroup/conductor/ab'],
      detach: false,
    }),
    [
      '# exec in container "web": a process in its namespaces; fds ' +
        '3=/sys/fs/cgroup/conductor/ab/cgroup.procs, 4=/r/web/seccomp.bpf',
      '# it joins the cgroups /sys/fs/cgroup/conductor/ab',
      "/n/conductor-init --join 42:7 -- sh -c 'echo $HOME'",
    ],
  );
  // v1: one tasks file per hierarchy.
  const v1 = ['pids', 'memory'].map((c) => `/sys/fs/cgroup/${c}/conductor/ab`);
  const fds = v1.map((d) => `${d}/tasks`);
  assert.is(
    planExecDry({ name: 'web', argv: ['/n/conductor-init', '--', 'ls'], fds, cgroups: v1, detach: false })[1],
    '# it joins the cgroups /sys/fs/cgroup/pids/conductor/ab /sys/fs/cgroup/memory/conductor/ab',
  );
});

test('exec plan: detached says where its output goes; no cgroups, no line about them', () => {
  const lines = planExecDry({
    name: 'web',
    argv: ['/m', '--log', '/r/log', '--', 'ls'],
    fds: ['/r/web/seccomp.bpf'],
    cgroups: [],
    detach: true,
  });
  assert.equal(lines.slice(1), [
    "# detached: under the monitor, which appends its output to the container's log",
    '/m --log /r/log -- ls',
  ]);
});

test.run();
