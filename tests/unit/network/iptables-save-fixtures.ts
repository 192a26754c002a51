import { SET_RULES } from '../../../sdk/network/sets.ts';

/** iptables-save text of a host without conductor's chains, and of one with all of them and three rules. */
export const SAVE_EMPTY =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n' +
  '-A FORWARD -i docker0 -j ACCEPT\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n';
export const SAVE_READY = [
  '*raw',
  ':PREROUTING ACCEPT [0:0]',
  ':CONDUCTOR-PREROUTING - [0:0]',
  '-A PREROUTING -j CONDUCTOR-PREROUTING',
  '-A CONDUCTOR-PREROUTING -s 127.0.0.0/8 -i cnd+ -m comment --comment conductor-loopback-guard -j DROP',
  '-A CONDUCTOR-PREROUTING -d 127.0.0.0/8 -i cnd+ -m comment --comment conductor-loopback-guard -j DROP',
  'COMMIT',
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':CONDUCTOR-FORWARD - [0:0]',
  ':CONDUCTOR-INPUT - [0:0]',
  '-A INPUT -j CONDUCTOR-INPUT',
  '-A FORWARD -j CONDUCTOR-FORWARD',
  '-A CONDUCTOR-INPUT -i cnd+ -m conntrack --ctstate RELATED,ESTABLISHED ' +
    '--ctdir REPLY -m comment --comment conductor-input-guard -j ACCEPT',
  '-A CONDUCTOR-INPUT -i cnd+ -m comment --comment conductor-input-guard -j DROP',
  ...SET_RULES.map((r) => `-A ${r.chain} ${r.spec}`),
  'COMMIT',
  '*nat',
  ':CONDUCTOR-OUTPUT - [0:0]',
  ':CONDUCTOR-POSTROUTING - [0:0]',
  ':CONDUCTOR-PREROUTING - [0:0]',
  '-A PREROUTING -j CONDUCTOR-PREROUTING',
  '-A OUTPUT -j CONDUCTOR-OUTPUT',
  '-A POSTROUTING -j CONDUCTOR-POSTROUTING',
  '-A CONDUCTOR-PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 3000 -m comment ' +
    '--comment "conductor:aa:web" -j DNAT --to-destination 10.177.0.2:8080',
  '-A CONDUCTOR-POSTROUTING -s 10.177.0.3/32 -o eth0 -m comment --comment "conductor:aa:db" -j MASQUERADE',
  '-A CONDUCTOR-POSTROUTING -s 127.0.0.0/8 -o cnd1 -m comment ' +
    '--comment "conductor:aa:web" -j SNAT --to-source 10.177.0.1',
  'COMMIT',
].join('\n');
