/**
 * Parsing `--memory` / `--cpus` / `--pids-limit`, and checking limits that SDK callers built
 * directly, against the floors the kernel and Docker set.
 */
import type { ResourceLimits } from '../types.ts';
import { ConductorError } from '../errors.ts';

/** Docker's floor: below this the kernel OOM-kills most programs before they start. */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** CFS bandwidth period (µs); Docker and runc use the kernel default of 100 ms. */
export const CPU_PERIOD = 100_000;
/** The kernel rejects a CFS quota below 1 ms, so --cpus has a floor of 0.01. */
const MIN_CPU_QUOTA = 1_000;

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function invalid(flag: string, value: string, hint: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid ${flag} ${JSON.stringify(value)}`, { hint });
}

/**
 * Parses a memory size the way `docker run --memory` does: bytes, or a number with a
 * case-insensitive b, k, m or g suffix (binary units; "mb" and "mib" are read as "m").
 * Fractions are allowed and rounded down to whole bytes. The minimum is 6 MiB.
 *
 * @example
 * parseMemory('256m'); // 268435456
 * parseMemory('1G');   // 1073741824
 * parseMemory('abc');  // throws INVALID_ARGUMENT: invalid --memory "abc" (use e.g. 256m or 1g)
 */
export function parseMemory(s: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmg])(?:i?b)?|(b))?$/i.exec(s.trim());
  if (!m) throw invalid('--memory', s, 'use e.g. 256m or 1g');
  const unit = (m[2] ?? m[3] ?? 'b').toLowerCase();
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]!);
  if (!Number.isSafeInteger(bytes)) throw invalid('--memory', s, 'that is more memory than any host has');
  if (bytes < MIN_MEMORY) throw invalid('--memory', s, 'the minimum is 6m');
  return bytes;
}

/**
 * Parses a number of CPUs (`--cpus`): a positive decimal from 0.01 up. Whether the host has
 * that many CPUs is for the caller to check.
 *
 * @example
 * parseCpus('0.5'); // 0.5
 * parseCpus('0');   // throws INVALID_ARGUMENT
 */
export function parseCpus(s: string): number {
  const t = s.trim();
  const hint = 'use a number of CPUs from 0.01 up, e.g. 0.5 or 2';
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) throw invalid('--cpus', s, hint);
  const cpus = Number(t);
  if (!Number.isFinite(cpus) || Math.round(cpus * CPU_PERIOD) < MIN_CPU_QUOTA || cpus > 1e6)
    throw invalid('--cpus', s, hint);
  return cpus;
}

/**
 * Parses `--pids-limit`: a positive whole number of processes (threads count too).
 *
 * @example
 * parsePids('100'); // 100
 * parsePids('-1');  // throws INVALID_ARGUMENT
 */
export function parsePids(s: string): number {
  const t = s.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid('--pids-limit', s, 'use a positive whole number, e.g. 100');
  return n;
}

/** Checks limits that did not come through the parsers (SDK callers build ResourceLimits directly). */
export function checkLimits(limits: ResourceLimits): void {
  const { memory, cpus, pids } = limits;
  if (memory !== undefined && (!Number.isSafeInteger(memory) || memory < MIN_MEMORY)) {
    throw invalid('--memory', String(memory), 'use a whole number of bytes from 6 MiB up');
  }
  if (cpus !== undefined && (!Number.isFinite(cpus) || Math.round(cpus * CPU_PERIOD) < MIN_CPU_QUOTA)) {
    throw invalid('--cpus', String(cpus), 'use a number of CPUs from 0.01 up, e.g. 0.5 or 2');
  }
  if (pids !== undefined && (!Number.isSafeInteger(pids) || pids < 1)) {
    throw invalid('--pids-limit', String(pids), 'use a positive whole number, e.g. 100');
  }
}
