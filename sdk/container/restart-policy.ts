/** `--restart no|on-failure[:N]|always|unless-stopped`, read as Docker reads it. */
import { ConductorError } from '../errors.ts';
import type { RestartPolicy } from '../types.ts';

const POLICIES = ['on-failure', 'always', 'unless-stopped'] as const;

/**
 * The policy a `--restart` value names; undefined for `no`. INVALID_ARGUMENT for anything else, or
 * a retry count on a policy other than on-failure.
 * @example parseRestartPolicy('on-failure:2'); // { policy: 'on-failure', maxRetries: 2 }
 */
export function parseRestartPolicy(text: string): RestartPolicy | undefined {
  const [name, count, ...rest] = text.split(':');
  if (name === 'no' && count === undefined) return undefined;
  const policy = POLICIES.find((p) => p === name);
  const bad = (why: string) =>
    new ConductorError('INVALID_ARGUMENT', `invalid restart policy "${text}": ${why}`, {
      hint: 'use no, on-failure[:N], always or unless-stopped',
    });
  if (!policy || rest.length > 0) throw bad('unknown policy');
  if (count === undefined) return { policy };
  if (policy !== 'on-failure') throw bad('only on-failure takes a retry count');
  if (!/^\d+$/.test(count) || Number(count) < 1) throw bad('the retry count must be a whole number ≥ 1');
  return { policy, maxRetries: Number(count) };
}

/**
 * The run's policy, checked against its other options: detached only, and not with --rm (Docker's
 * "conflicting options").
 * @example restartFor('always', { detach: true }); // { policy: 'always' }
 */
export function restartFor(
  restart: string | RestartPolicy | undefined,
  opts: { detach?: boolean; rm?: boolean },
): RestartPolicy | undefined {
  // An SDK caller's object is checked as its `--restart` spelling would be.
  const policy = parseRestartPolicy(typeof restart === 'object' ? restartText(restart) : (restart ?? 'no'));
  if (!policy) return undefined;
  if (opts.rm)
    throw new ConductorError('INVALID_ARGUMENT', '--restart and --rm conflict', { hint: 'drop one of them' });
  if (!opts.detach)
    throw new ConductorError('INVALID_ARGUMENT', '--restart needs a detached container', { hint: 'add -d' });
  return policy;
}

/**
 * The `--restart` spelling of a policy (inspect, generated units).
 * @example restartText({ policy: 'on-failure', maxRetries: 2 }); // 'on-failure:2'
 */
export function restartText(p: RestartPolicy | undefined): string {
  if (!p) return 'no';
  return p.maxRetries === undefined ? p.policy : `${p.policy}:${p.maxRetries}`;
}
