// Root integration tests of stopping many containers at once (stopMany, `stop --all`): every
// container gets its stop signal before the first grace period is over, the SIGTERM-ignoring ones
// end with 137, and nothing of theirs is left: no rule, set element, veth, cgroup or record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { addNetwork, peer, stopMany, type StopResult } from '../../sdk/index.ts';
import { isAlive, rootIdOf, type ProcessRef } from '../helpers/internals.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { root, runDetached, readState, dirOf, cgroupDirsOf, assertClean } = await runtimeSuite('rt-stopmany');
const RID = rootIdOf(root);

function must(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Every firewall trace of these containers: iptables rules and ipset elements carrying their tags. */
function traces(names: string[]): string[] {
  const tags = names.map((n) => `conductor:${RID}:${n}`);
  const ipset = spawnSync('ipset', ['list'], { encoding: 'utf8' }).stdout ?? '';
  return `${must(['iptables-save'])}\n${ipset}`
    .split('\n')
    .filter((l) => tags.some((t) => l.includes(`"${t}"`) || l.includes(` ${t} `) || l.endsWith(` ${t}`)));
}

const linkExists = (dev: string) => existsSync(`/sys/class/net/${dev}`);

test('stopMany: every container gets its stop signal within the first grace period; all end', async () => {
  const names = Array.from({ length: 6 }, () => uniqueName('term'));
  try {
    // Each notes the TERM in its upper dir and carries on: only SIGKILL ends it.
    const trap = 'trap "touch /tmp/got-term" TERM; while :; do sleep 0.1; done';
    for (const n of names) await runDetached(n, ['sh', '-c', trap]);
    const inits = names.map((n) => readState(n).init!) as ProcessRef[];
    const marker = (n: string) => path.join(dirOf(n), 'upper', 'tmp', 'got-term');
    const stopping = stopMany(names, { root, timeoutSeconds: 30 });
    // One at a time, the second would get its TERM only after the first's 30 s were over and it was killed.
    for (;;) {
      if (names.every((n) => existsSync(marker(n)))) break;
      if (!isAlive(inits[0])) assert.unreachable('the first was killed before every container had its TERM');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(isAlive(inits[0]), 'the first is still in its grace period when the last has its TERM');
    // Not waiting out the 30 s: the test ends its own containers' inits, and the stops finish.
    for (const i of inits) process.kill(i.pid, 'SIGKILL');
    const { stopped, failed } = await stopping;
    assert.equal(failed, []);
    assert.equal(
      stopped.map((r) => [r.name, r.exitCode]),
      names.map((n) => [n, 137]),
    );
    for (const i of inits) assert.not.ok(isAlive(i));
  } finally {
    await stopQuiet(root, ...names);
  }
});

test('stop --all -t 1: SIGTERM-ignoring, networked and peered containers end with 137, nothing left', async () => {
  const names = Array.from({ length: 5 }, () => uniqueName('ign'));
  try {
    const veths: string[] = [];
    for (const [i, n] of names.entries()) {
      await runDetached(n); // sleep infinity as PID 1: SIGTERM is ignored
      const net = await addNetwork(n, {
        root,
        internet: i % 2 === 0,
        ...(i === 0 ? { expose: [{ container: 8080, host: 3911 }] } : {}),
      });
      veths.push(net.hostInterface);
    }
    await peer(names[0]!, names[1]!, { root });
    await peer(names[1]!, names[2]!, { root });
    const cgroups = names.flatMap(cgroupDirsOf);
    assert.ok(cgroups.length > 0);
    assert.ok(traces(names).length > 0);
    const r = await cli({ ...process.env, CONDUCTOR_ROOT: root }, ['stop', '--all', '-t', '1'], { timeoutMs: 60_000 });
    assert.is(r.code, 0, r.stderr);
    for (const n of names) assert.match(r.stdout, new RegExp(`^${n} killed after 1 s \\(137\\)$`, 'm'));
    assert.equal(traces(names), []);
    assert.equal(veths.filter(linkExists), []);
    assert.equal(
      cgroups.filter((d) => existsSync(d)),
      [],
    );
  } finally {
    await stopQuiet(root, ...names);
  }
});

test('stopMany: missing names are reported as failures (or ignored); the others still stop', async () => {
  const a = uniqueName('ok');
  const missing = uniqueName('none');
  try {
    await runDetached(a);
    const seen: StopResult[] = [];
    const r = await stopMany([missing, a], { root, timeoutSeconds: 0, onStopped: (x) => seen.push(x) });
    assert.equal(
      r.failed.map((f) => [f.name, (f.error as { code?: string }).code]),
      [[missing, 'CONTAINER_NOT_FOUND']],
    );
    assert.equal(
      r.stopped.map((s) => [s.name, s.exitCode]),
      [[a, 137]],
    );
    assert.equal(seen, r.stopped);
    const again = await stopMany([missing, a], { root, ignoreMissing: true });
    assert.equal(again.failed, []);
  } finally {
    await stopQuiet(root, a);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
