/**
 * The effect of a `bpf` DevicePlan: running native/conductor-devices, which loads the BPF device
 * filter and attaches it to a v2 cgroup. A separate process because Node cannot make bpf(2)
 * calls; the attachment outlives it and goes away with the cgroup.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEVICES_HELPER } from '../config.ts';
import { ConductorError } from '../errors.ts';

/**
 * Attaches a filter allowing only `rules` (devices.allow syntax) to the cgroup directory `cgroup`.
 * Call it before any process joins the cgroup.
 *
 * @example
 * attachDeviceFilter('/sys/fs/cgroup/conductor/3f0c9a1e5b7d', ['c *:* m', 'c 1:3 rwm']);
 */
export function attachDeviceFilter(cgroup: string, rules: readonly string[], helper = DEVICES_HELPER): void {
  if (!existsSync(helper)) {
    throw new ConductorError('MISSING_TOOL', `the helper "${helper}" is not built`, {
      hint: 'run `npm ci` (or `make -C native`; needs gcc and libc6-dev)',
    });
  }
  const r = spawnSync(helper, [cgroup, ...rules], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) {
    const why =
      (r.stderr ?? '').trim().split('\n').pop() || (r.error ? String(r.error) : `exit ${r.status ?? r.signal}`);
    throw new ConductorError(
      'CGROUP_UNAVAILABLE',
      `cannot restrict the devices of cgroup "${cgroup}": ${why.replace(/^conductor-devices: /, '')}`,
      {
        hint: 'the kernel needs CONFIG_CGROUP_BPF and conductor needs root',
      },
    );
  }
}
