/** Host-wide locks and the in-place file edits of network steps (sysctl keys, hosts files). */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { withLock } from '../state/lock.ts';
import { addHostsLine, removeHostsLine } from './hosts-file.ts';

/**
 * Host-wide (not per state root) locks and the ip_forward marker: chains, hooks and the forwarding
 * switch are shared by every state root on the host. /run is emptied at boot, as is ip_forward.
 */
export const HOST_RUN_DIR = '/run/conductor';

export async function hostLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return withLock(HOST_RUN_DIR, name, fn, { ownerLine: true });
}

export function readOr(file: string, fallback: string | null): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function sysctlWrite(key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, value);
  } catch (e) {
    // A kernel without IPv6 (ipv6.disable=1) has nothing to switch off.
    if (
      key.startsWith('net.ipv6.') &&
      (e as NodeJS.ErrnoException).code === 'ENOENT' &&
      !existsSync('/proc/sys/net/ipv6')
    )
      return;
    throw e;
  }
}

function fileLockName(file: string): string {
  return `hosts-${createHash('sha256').update(file).digest('hex').slice(0, 12)}`;
}

export /** hosts is bind-mounted into the container: rewrite the same inode, never rename over it. */
async function editHosts(op: string, file: string, ip: string, name: string): Promise<void> {
  await hostLock(fileLockName(file), async () => {
    const before = readOr(file, op === 'add' ? '' : null);
    if (before === null) return;
    const after = op === 'add' ? addHostsLine(before, ip, name) : removeHostsLine(before, ip, name);
    if (after !== before) writeFileSync(file, after);
  });
}
