import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAP_NAMES, DEFAULT_CAPS, effectiveCaps } from '../../../sdk/security/capabilities.ts';
import { builtinProfileText } from '../../../sdk/security/seccomp/builtin.ts';
import { DOCKER_GATED, withDockerGates } from '../../../sdk/security/seccomp/docker-gates.ts';
import { BUILTIN_PROFILE, DISTRO_PROFILE, seccompChoice } from '../../../sdk/security/seccomp/filter.ts';
import { parseSeccompProfile } from '../../../sdk/security/seccomp/profile.ts';
import {
  filterArches,
  kernelVersion,
  nativeArch,
  planSeccomp,
  type SeccompTarget,
} from '../../../sdk/security/seccomp/rules.ts';
import { isConductorError } from '../../../sdk/errors.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const PROFILE = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO', comment: 'same as the default: dropped' },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 22,
      args: [
        { index: 0, value: 16, op: 'SCMP_CMP_EQ' },
        { index: 2, value: 9, op: 'SCMP_CMP_EQ' },
      ],
      excludes: { caps: ['CAP_AUDIT_WRITE'] },
    },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [
        { index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_GE' },
        { index: 0, value: 16, op: 'SCMP_CMP_LE' },
      ],
    },
    { names: ['unshare', 'mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_BPF'] } },
    { name: 'uname', action: 'SCMP_ACT_TRACE' },
    { names: ['mkdir'], action: 'SCMP_ACT_KILL' },
    { names: ['rmdir'], action: 'SCMP_ACT_KILL_PROCESS' },
    { names: ['chdir'], action: 'SCMP_ACT_LOG' },
    { names: ['sync'], action: 'SCMP_ACT_TRAP' },
  ],
});

const target = (over: Partial<SeccompTarget> = {}): SeccompTarget => ({
  arch: 'amd64',
  caps: effectiveCaps({ capAdd: [], capDrop: [] }),
  kernel: [6, 1],
  ...over,
});

test('golden: default caps on amd64', () => {
  assert.fixture(
    planSeccomp(parseSeccompProfile(PROFILE, 'p.json'), target()),
    `conductor-seccomp 1
default errno 1
arch x86_64
arch x86
arch x32
rule allow read
rule allow write
rule errno 22 socket a0 eq 16 0 a2 eq 9 0
rule allow personality a0 ge 8 0
rule allow personality a0 le 16 0
rule allow clone a0 masked_eq 2114060288 0
rule errno 38 clone3
rule allow arch_prctl
rule allow ptrace
rule trace 1 uname
rule kill_thread mkdir
rule kill_process rmdir
rule log chdir
rule trap sync
`,
  );
});

test('golden: capabilities and architecture change the rules', () => {
  const p = parseSeccompProfile(PROFILE, 'p.json');
  const admin = planSeccomp(p, target({ caps: effectiveCaps({ capAdd: ['SYS_ADMIN'], capDrop: ['AUDIT_WRITE'] }) }));
  assert.ok(
    admin.includes('rule errno 22 socket a0 eq 16 0 a2 eq 9 0\n'),
    'AUDIT_WRITE dropped: the netlink-audit rule applies',
  );
  assert.ok(admin.includes('rule allow unshare\nrule allow mount\n'));
  assert.not.ok(admin.includes('clone'), 'with CAP_SYS_ADMIN neither clone rule applies');
  assert.not.ok(admin.includes('bpf'), 'includes.caps needs every listed capability');
  const both = planSeccomp(p, target({ caps: effectiveCaps({ capAdd: ['SYS_ADMIN', 'BPF'], capDrop: [] }) }));
  assert.ok(both.includes('rule allow bpf\n'));
  const arm = planSeccomp(p, target({ arch: 'arm64', kernel: [4, 4] }));
  assert.ok(arm.startsWith('conductor-seccomp 1\ndefault errno 1\narch aarch64\narch arm\n'), arm);
  assert.ok(arm.includes('rule allow set_tls\n') && !arm.includes('arch_prctl'));
  assert.not.ok(arm.includes('ptrace'), 'minKernel 4.8 on a 4.4 kernel');
  const s390 = planSeccomp(p, target({ arch: 's390x' }));
  assert.ok(!s390.includes('masked_eq') && !/^arch /m.test(s390), 'excluded arch; no archMap entry = native only');
});

test('explicit architectures, errnoRet and errno names, defaults', () => {
  const p = parseSeccompProfile(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
        { names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errno: 'EACCES', errnoRet: 5 },
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
      ],
    }),
    'q.json',
  );
  assert.is(
    planSeccomp(p, target()),
    'conductor-seccomp 1\ndefault allow\narch x86_64\nrule errno 1 mkdir\nrule errno 13 rmdir\n',
  );
  const q = parseSeccompProfile('{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS","syscalls":[]}', 'r.json');
  assert.is(planSeccomp(q, target()), 'conductor-seccomp 1\ndefault errno 38\n');
  assert.equal(filterArches(q, 'amd64'), []);
});

test('bad profiles: one line naming the file and what is wrong', () => {
  const bad: Array<[string, RegExp]> = [
    ['{"defaultAction": ', /^seccomp profile "x\.json": not valid JSON/],
    ['[]', /the profile must be an object/],
    ['{"syscalls":[]}', /"defaultAction" is missing/],
    ['{"defaultAction":"SCMP_ACT_DENY"}', /unknown action "SCMP_ACT_DENY" in defaultAction/],
    ['{"defaultAction":"SCMP_ACT_NOTIFY"}', /SCMP_ACT_NOTIFY is not supported/],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_FOO"}]}',
      /unknown action "SCMP_ACT_FOO" in syscalls\[0\]\.action/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"nmes":["a"],"action":"SCMP_ACT_ERRNO"}]}',
      /unknown field "nmes" in syscalls\[0\]/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ERRNO"}]}',
      /both "name" and "names"/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO",' +
        '"args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}',
      /index must be an integer from 0 to 5/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO",' +
        '"args":[{"index":0,"value":1,"op":"SCMP_CMP_LIKE"}]}]}',
      /unknown operator "SCMP_CMP_LIKE"/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO",' +
        '"args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}',
      /value must be an integer/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","errno":"EWHAT"}]}',
      /unknown errno "EWHAT"/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","architectures":[],"archMap":[],"syscalls":[]}',
      /both "architectures" and "archMap"/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG"],"syscalls":[]}',
      /flag "SECCOMP_FILTER_FLAG_LOG" is not supported/,
    ],
    [
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW",' +
        '"includes":{"minKernel":"4"}}]}',
      /minKernel must be "major\.minor"/,
    ],
  ];
  for (const [text, why] of bad) {
    try {
      parseSeccompProfile(text, 'x.json');
      assert.unreachable(text);
    } catch (e) {
      assert.ok(isConductorError(e, 'PARSE_ERROR'), `${text}: ${String(e)}`);
      assert.match((e as Error).message, /^seccomp profile "x\.json": /);
      assert.match((e as Error).message, why);
      assert.not.match((e as Error).message, /\n/);
    }
  }
});

test('Docker gates: the gated syscalls leave unconditional allow rules; the conditional ones appear', () => {
  const podmanLike = parseSeccompProfile(
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      syscalls: [
        { names: ['read', 'unshare', 'keyctl', 'clone', 'clone3', 'mount', 'pivot_root'], action: 'SCMP_ACT_ALLOW' },
        { names: ['setns'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      ],
    }),
    'podman.json',
  );
  const gated = withDockerGates(podmanLike);
  assert.is(gated.defaultErrnoRet, 1, "Docker's EPERM default");
  const dflt = planSeccomp(gated, target());
  assert.ok(dflt.includes('rule allow read\n'));
  for (const n of ['unshare', 'keyctl', 'mount', 'pivot_root', 'setns'])
    assert.not.match(dflt, new RegExp(`^rule allow ${n}( |$)`, 'm'), n);
  assert.ok(dflt.includes('rule allow clone a0 masked_eq 2114060288 0\nrule errno 38 clone3\n'), dflt);
  const admin = planSeccomp(gated, target({ caps: effectiveCaps({ capAdd: ['SYS_ADMIN'], capDrop: [] }) }));
  for (const n of ['unshare', 'mount', 'setns', 'clone', 'clone3'])
    assert.match(admin, new RegExp(`^rule allow ${n}$`, 'm'), n);
  assert.not.match(admin, /keyctl|pivot_root|errno 38/);
  assert.ok(DOCKER_GATED.includes('add_key') && DOCKER_GATED.includes('request_key'));
});

const sdkSecuritySeccompDefault =
  'sdk/security/seccomp/default.json is the gated distribution profile ' +
  '(regenerate: npx tsx scripts/gen-seccomp-default.ts)';
test(sdkSecuritySeccompDefault, () => {
  const builtin = readFileSync(BUILTIN_PROFILE, 'utf8');
  parseSeccompProfile(builtin, BUILTIN_PROFILE);
  if (existsSync(DISTRO_PROFILE)) assert.fixture(builtin, builtinProfileText(readFileSync(DISTRO_PROFILE, 'utf8')));
  const plan = planSeccomp(parseSeccompProfile(builtin, 'b'), target());
  assert.ok(plan.startsWith('conductor-seccomp 1\ndefault errno 1\narch x86_64\narch x86\narch x32\n'));
  assert.not.match(
    plan,
    new RegExp(
      String.raw`^rule allow (unshare|keyctl|add_key|request_key|mount|setns|pivot_root|bpf|userfaultfd|` +
        String.raw`perf_event_open|io_uring_setup|kexec_load|open_by_handle_at)$`,
      'm',
    ),
  );
});

test('effectiveCaps is Docker TweakCapabilities, like the init helper', () => {
  const s = (add: string[], drop: string[], grant?: string[]) =>
    [...effectiveCaps({ capAdd: add, capDrop: drop }, grant)].sort();
  assert.equal(s([], []), [...DEFAULT_CAPS].sort());
  assert.equal(
    s(['net_admin'], ['CAP_CHOWN', 'Mknod']),
    [...DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_MKNOD'), 'CAP_NET_ADMIN'].sort(),
  );
  assert.equal(s(['NET_ADMIN'], ['ALL']), ['CAP_NET_ADMIN']);
  assert.equal(s(['ALL'], ['ALL']), []);
  assert.is(s(['ALL'], ['SYS_ADMIN']).length, 40);
  assert.equal(s(['ALL'], [], ['CAP_KILL', 'CAP_CHOWN']), ['CAP_CHOWN', 'CAP_KILL']);
  assert.throws(() => s(['NOT_A_CAP'], []), /unknown capability "NOT_A_CAP"/);
});

test('the init helper and sdk/capabilities.ts agree on capability names and the default set', () => {
  const c = readFileSync(path.join(REPO, 'native', 'conductor-init.c'), 'utf8');
  const table = /static const char \*cap_names\[\] = \{([^}]*)\}/.exec(c);
  assert.ok(table, 'cap_names table in conductor-init.c');
  const names = [...table![1]!.matchAll(/"([a-z_]+)"/g)].map((m) => `CAP_${m[1]!.toUpperCase()}`);
  assert.equal(names, [...CAP_NAMES]);
  const dflt = /static const uint64_t \w*default_caps\s*=([^;]*);/.exec(c);
  assert.ok(dflt, 'a *default_caps constant in conductor-init.c');
  const set = [...dflt![1]!.matchAll(/B\((CAP_\w+)\)/g)].map((m) => m[1]!).sort();
  assert.equal(set, [...DEFAULT_CAPS].sort(), 'DEFAULT_CAPS in sdk/capabilities.ts must match the init helper');
});

test('seccompChoice, nativeArch, kernelVersion', () => {
  assert.is(seccompChoice({ privileged: false }), 'default');
  assert.is(seccompChoice({ privileged: true, seccomp: { profile: 'x' } }), 'unconfined');
  assert.is(seccompChoice({ privileged: false, seccomp: 'unconfined' }), 'unconfined');
  assert.equal(seccompChoice({ privileged: false, seccomp: { profile: 'p.json' } }), {
    profile: path.resolve('p.json'),
  });
  assert.throws(
    () => seccompChoice({ privileged: false, seccomp: 'strict' as never }),
    /seccomp option "strict" is not valid/,
  );
  assert.is(nativeArch('x64'), 'amd64');
  assert.is(nativeArch('arm64'), 'arm64');
  assert.equal(kernelVersion('6.18.0-1-amd64'), [6, 18]);
});

test.run();
