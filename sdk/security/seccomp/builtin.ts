/**
 * The text of sdk/seccomp/default.json, derived from the distribution's profile (pure, for the
 * generator and its test).
 */
import { withDockerGates } from './docker-gates.ts';
import { parseSeccompProfile } from './profile.ts';

/**
 * @example builtinProfileText(readFileSync('/usr/share/containers/seccomp.json', 'utf8'))
 */
export function builtinProfileText(distroText: string): string {
  const p = withDockerGates(parseSeccompProfile(distroText, 'the distribution profile'));
  const ordered = {
    defaultAction: p.defaultAction,
    defaultErrnoRet: p.defaultErrnoRet,
    architectures: p.architectures,
    archMap: p.archMap,
    syscalls: p.syscalls,
  };
  return JSON.stringify(ordered, null, '\t') + '\n';
}
