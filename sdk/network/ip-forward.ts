/**
 * net.ipv4.ip_forward: switched on by conductor only when the host had it off, remembered for this
 * boot in a marker under /run, and switched off again once no conductor rule needs it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { forwardGuardText, forwardingUsers, hasForwardGuard } from './chains.ts';
import { hostLinks, iptablesSave } from './facts.ts';
import { HOST_RUN_DIR, hostLock, readOr, sysctlWrite } from './host-files.ts';
import { isConductorInterface } from './interfaces.ts';
import { otherRoutingTools } from './routes.ts';
import { describeCommand } from './describe.ts';
import { sh } from '../host/sh.ts';
import type { Logger } from '../log.ts';

const FORWARD_MARKER = path.join(HOST_RUN_DIR, 'ip_forward.enabled');
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

function bootId(): string {
  return readOr('/proc/sys/kernel/random/boot_id', '')!.trim();
}

function conductorOwnsForwarding(): boolean {
  return readOr(FORWARD_MARKER, '')!.trim() === bootId();
}

async function setForwardGuard(op: 'add' | 'delete', log: Logger): Promise<void> {
  const present = hasForwardGuard(await iptablesSave('filter'));
  if (present === (op === 'add')) return;
  const input = forwardGuardText(op);
  log.debug(describeCommand({ kind: 'exec', argv: ['iptables-restore', '-w', '--noflush'], input }).join('\n'));
  await sh(['iptables-restore', '-w', '--noflush'], { input });
}

/**
 * Switch ip_forward on if it is off, remembering (for this boot) that conductor did it, and while
 * conductor owns it keep the forward guard in place (firewall.ts): forwarding is then only for
 * conductor's veths. A host that had it on keeps its own routing untouched.
 */
export async function forwardingOn(log: Logger): Promise<void> {
  await hostLock('ip-forward', async () => {
    const on = readFileSync(IP_FORWARD, 'utf8').trim() === '1';
    if (on && !conductorOwnsForwarding()) return;
    if (!on) {
      mkdirSync(HOST_RUN_DIR, { recursive: true });
      writeFileSync(FORWARD_MARKER, bootId()); // first, so a crash right after still restores it
    }
    await setForwardGuard('add', log); // before forwarding starts: no unguarded window
    if (!on) writeFileSync(IP_FORWARD, '1');
  });
}

/**
 * Put ip_forward back to 0, but only if conductor switched it on in this boot and no conductor rule
 * that needs it (a published-port DNAT or a MASQUERADE, any state root, other than those of `tags`,
 * the containers being stopped) is left.
 * If the host had it on, conductor never switches it off; nor does it while another tool that may
 * route (a bridge, another veth, another tool's chains) is present: then only the guard goes (no
 * conductor traffic needs it, and it would break that tool) and the marker stays, so a later
 * release, once that tool is gone, still switches forwarding back off.
 */
export async function forwardingRelease(tags: readonly string[], log: Logger): Promise<void> {
  await hostLock('ip-forward', async () => {
    const marker = readOr(FORWARD_MARKER, null);
    if (marker === null) return;
    if (marker.trim() !== bootId()) {
      rmSync(FORWARD_MARKER, { force: true }); // from an earlier boot: not ours to act on
      return;
    }
    const save = await iptablesSave();
    if (forwardingUsers(save, tags) > 0) return;
    const others = otherRoutingTools(await hostLinks(), save);
    if (others.length === 0) {
      writeFileSync(IP_FORWARD, '0');
      // Writing ip_forward resets every device's forwarding; the remaining veths still need theirs.
      for (const dev of readdirSync('/proc/sys/net/ipv4/conf').filter(isConductorInterface)) {
        try {
          sysctlWrite(`net.ipv4.conf.${dev}.forwarding`, '1');
        } catch {
          /* went away meanwhile */
        }
      }
      await setForwardGuard('delete', log);
      rmSync(FORWARD_MARKER, { force: true });
    } else {
      const shown = `${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}`;
      log.info(`leaving net.ipv4.ip_forward on: ${shown} may rely on it`);
      await setForwardGuard('delete', log);
    }
  });
}
