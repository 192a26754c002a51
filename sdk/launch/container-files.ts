/** A new container's directory: overlay dirs and the files bind-mounted into it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ContainerPaths } from '../state/containers.ts';
import { hostsFile } from './launch-plan.ts';

export function prepareContainerDir(cp: ContainerPaths, hostname: string): void {
  for (const d of [cp.upper, cp.work, cp.rootfs]) mkdirSync(d, { recursive: true });
  writeFileSync(cp.hosts, hostsFile(hostname));
  writeFileSync(cp.hostname, `${hostname}\n`);
  // No network yet: an empty resolver list until addNetwork gives it a way out.
  writeFileSync(cp.resolv, '');
  writeFileSync(cp.log, '');
}
