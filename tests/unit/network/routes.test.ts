import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePool } from '../../../sdk/network/pool.ts';
import {
  checkRouteOverlap,
  defaultRouteInterfaces,
  otherRoutingTools,
  routedAddresses,
  type LinkEntry,
  type RouteEntry,
} from '../../../sdk/network/routes.ts';
import { failure } from '../../helpers/expect-error.ts';
import { SAVE_EMPTY, SAVE_READY } from './iptables-save-fixtures.ts';

const ROUTES: RouteEntry[] = [
  { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
  { dst: '192.0.2.0/24', dev: 'eth0' },
  { dst: '10.177.0.5', dev: 'cnd12345678' }, // a conductor container route: in use, not an overlap
];

test('route overlap: host routes overlapping the pool are refused, own /32s are not', () => {
  const pool = parsePool('10.177.0.0/16');
  checkRouteOverlap(pool, ROUTES);
  const msg = failure(() => checkRouteOverlap(pool, [...ROUTES, { dst: '10.0.0.0/8', dev: 'wg0' }]), 'SUBNET_OVERLAP');
  assert.ok(msg.includes('10.0.0.0/8') && msg.includes('wg0'), msg);
  failure(() => checkRouteOverlap(pool, [{ dst: '10.177.200.0/24', dev: 'br0' }]), 'SUBNET_OVERLAP');
  failure(() => checkRouteOverlap(pool, [{ dst: '10.177.3.4', dev: 'eth1' }]), 'SUBNET_OVERLAP');
  checkRouteOverlap(pool, [
    { dst: '10.176.0.0/16', dev: 'br0' },
    { dst: '10.178.0.0/15', dev: 'br1' },
  ]);
  assert.equal(routedAddresses(pool, ROUTES), ['10.177.0.5']);
});

test('default route interfaces, multipath included, never a conductor veth', () => {
  assert.equal(defaultRouteInterfaces(ROUTES), ['eth0']);
  assert.equal(defaultRouteInterfaces([{ dst: 'default', nexthops: [{ dev: 'wlan0' }, { dev: 'eth1' }] }]), [
    'eth1',
    'wlan0',
  ]);
  assert.equal(defaultRouteInterfaces([{ dst: '10.0.0.0/8', dev: 'eth0' }]), []);
});

test("other routing tools: bridges, foreign veths and tunnels, other tools' chains; never conductor's own", () => {
  const links: LinkEntry[] = [
    { ifname: 'lo' },
    { ifname: 'eth0', linkinfo: {} },
    { ifname: 'ifb0', linkinfo: { info_kind: 'ifb' } },
    { ifname: 'cnd0badf00d', linkinfo: { info_kind: 'veth' } },
  ];
  assert.equal(otherRoutingTools(links, SAVE_READY), []);
  assert.equal(
    otherRoutingTools(
      [
        ...links,
        { ifname: 'docker0', linkinfo: { info_kind: 'bridge' } },
        { ifname: 'veth12ab', linkinfo: { info_kind: 'veth' } },
        { ifname: 'wg0', linkinfo: { info_kind: 'wireguard' } },
      ],
      '',
    ),
    ['bridge "docker0"', 'veth "veth12ab"', 'wireguard "wg0"'],
  );
  assert.equal(otherRoutingTools([], SAVE_EMPTY + '*nat\n:LIBVIRT_PRT - [0:0]\nCOMMIT\n'), [
    'iptables chain "LIBVIRT_PRT" (nat)',
  ]);
});

test.run();
