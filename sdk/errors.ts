import { displayCommand } from './display.ts';

/** Closed set of failure codes; callers branch on `code`, never on message text. */
export type ErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_ARGUMENT'
  | 'PARSE_ERROR'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_IN_USE'
  | 'CONTAINER_EXISTS'
  | 'CONTAINER_NOT_FOUND'
  | 'CONTAINER_NOT_RUNNING'
  | 'VOLUME_NOT_FOUND'
  | 'VOLUME_IN_USE'
  | 'NETWORK_EXISTS'
  | 'NO_NETWORK'
  | 'PORT_IN_USE'
  | 'SUBNET_OVERLAP'
  | 'POOL_EXHAUSTED'
  | 'CGROUP_UNAVAILABLE'
  | 'NOT_ROOT'
  | 'MISSING_TOOL'
  | 'BUILD_FAILED'
  | 'INVALID_ARCHIVE'
  | 'DIGEST_MISMATCH'
  | 'TIMEOUT'
  | 'WAIT_TIMEOUT'
  /** A host tool conductor ran failed: a CommandError, with its argv, exit code and stderr. */
  | 'COMMAND_FAILED'
  /** The container's process did not get going (its init or monitor died before it exec'd the command). */
  | 'START_FAILED'
  /** Removing what a container left on the host failed: processes that survive SIGKILL, mounts, its directory. */
  | 'CLEANUP_FAILED'
  /** A broken invariant inside conductor (a bug, or state changed behind its back), never the caller's input. */
  | 'INTERNAL'
  /** A container record (or undo journal) in a format this conductor cannot read. */
  | 'UNSUPPORTED_RECORD';

/**
 * Every error conductor raises on purpose. Messages are one lowercase line naming the thing in quotes.
 * @example
 * throw new ConductorError('CONTAINER_NOT_FOUND', 'container "web1" does not exist', { hint: 'conductor ps -a' });
 */
export class ConductorError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message} (${options.hint})` : message, { cause: options.cause });
    this.name = 'ConductorError';
    this.code = code;
    this.hint = options.hint;
  }
}

/**
 * A host tool that conductor ran failed; carries what ran and what it said.
 * @example if (e instanceof CommandError) console.error(e.argv.join(' '), e.exitCode, e.stderr);
 */
export class CommandError extends ConductorError {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(argv: readonly string[], exitCode: number | null, stderr: string, cause?: unknown) {
    const last = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
    super(
      'COMMAND_FAILED',
      `"${displayCommand(argv)}" failed with exit code ${exitCode ?? 'signal'}${last ? `: ${last}` : ''}`,
      { cause },
    );
    this.name = 'CommandError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * A build step failed: carries the step's exit code so the CLI can propagate it.
 * @example if (e instanceof BuildError) process.exitCode = e.exitCode;
 */
export class BuildError extends ConductorError {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super('BUILD_FAILED', message);
    this.name = 'BuildError';
    this.exitCode = exitCode;
  }
}

/**
 * Whether `e` is an error conductor raised on purpose, optionally with a given code: branch on
 * the code, never on the message text.
 *
 * @example
 * try { await stop('web'); } catch (e) { if (!isConductorError(e, 'CONTAINER_NOT_FOUND')) throw e; }
 */
export function isConductorError(e: unknown, code?: ErrorCode): e is ConductorError {
  return e instanceof ConductorError && (code === undefined || e.code === code);
}
