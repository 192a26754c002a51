import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeCommand, describePlan } from '../../../sdk/network/describe.ts';

test('every kind of host operation reads as one shell command (or a commented one-liner)', () => {
  assert.equal(describeCommand({ kind: 'exec', argv: ['ip', 'link', 'del', 'cnd1'] }), ['ip link del cnd1']);
  assert.equal(describeCommand({ kind: 'exec', argv: ['echo', "it's a b"] }), [`echo 'it'\\''s a b'`]);
  assert.equal(describeCommand({ kind: 'exec', argv: ['ip', '-b', '-'], input: 'link set lo up\n' }), [
    "ip -b - <<'EOF'",
    'link set lo up',
    'EOF',
  ]);
  assert.equal(describeCommand({ kind: 'sysctl', key: 'net.ipv4.conf.cnd1.forwarding', value: '1' }), [
    'sysctl -qw net.ipv4.conf.cnd1.forwarding=1',
  ]);
  assert.equal(
    describeCommand({ kind: 'write-in-place', file: '/r/a b/resolv.conf', content: 'nameserver 1.1.1.1\n' }),
    ["cat > '/r/a b/resolv.conf' <<'EOF'   # in place", 'nameserver 1.1.1.1', 'EOF'],
  );
  assert.equal(describeCommand({ kind: 'hosts', action: 'add', file: '/r/hosts', ip: '10.0.0.2', name: 'db' }), [
    "grep -qxF '10.0.0.2 db' /r/hosts || echo '10.0.0.2 db' >> /r/hosts",
  ]);
  assert.match(
    describeCommand({ kind: 'hosts', action: 'remove', file: '/r/hosts', ip: '10.0.0.2', name: 'db' })[0]!,
    /^# remove the line '10\.0\.0\.2 db' from \/r\/hosts/,
  );
  assert.match(describeCommand({ kind: 'forwarding-hold' })[0]!, /^true /);
  assert.match(describeCommand({ kind: 'forwarding-on' })[0]!, /^sysctl -qw net\.ipv4\.ip_forward=1 /);
  assert.match(
    describeCommand({ kind: 'forwarding-release', tag: 'conductor:r:web' })[0]!,
    /^sysctl -qw net\.ipv4\.ip_forward=0 .*conductor:r:web/,
  );
});

test('a plan is its steps, each under a comment saying what it is for', () => {
  assert.equal(
    describePlan([
      { op: { kind: 'exec', argv: ['true'] }, about: 'nothing' },
      { op: { kind: 'forwarding-hold' }, about: 'hold' },
    ]),
    ['# nothing', 'true', '# hold', describeCommand({ kind: 'forwarding-hold' })[0]],
  );
});

test.run();
