import { ConductorError } from './errors.ts';
import type { BaseRef, Distro } from './types.ts';
import { checkSourceInContext } from './copy-plan.ts';
import { SUPPORTED_BASES } from './base-plan.ts';

// Base knowledge lives in base-plan.ts (the only part that looks at the host: the Ubuntu keyring);
// re-exported so callers can keep importing it from here.
export { SUPPORTED_BASES, debootstrapArgs } from './base-plan.ts';

/**
 * One step of a Conductorfile. `line` is the 1-based line where the instruction starts;
 * `text` is its normalised form (keyword upper-case, continuations joined, canonical
 * arguments), used as the layer-cache key: comments, blank lines, CRLF, trailing spaces
 * and keyword case never change it; any change to what the step does always does.
 */
export type Instruction =
  | { kind: 'FROM'; line: number; text: string; base: BaseRef }
  | { kind: 'RUN'; line: number; text: string; argv?: string[]; shell?: string }
  | { kind: 'COPY'; line: number; text: string; sources: string[]; dest: string };

// Dockerfile instructions a user may reasonably try; they get a clearer message than a typo.
const DOCKER_ONLY = new Set([
  'ADD', 'ARG', 'CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

interface LogicalLine {
  line: number;
  content: string;
}

function parseError(fileName: string, line: number | null, message: string): ConductorError {
  return new ConductorError('PARSE_ERROR', line === null ? `${fileName}: ${message}` : `${fileName}:${line}: ${message}`);
}

const isSkippable = (raw: string): boolean => raw.trim() === '' || /^\s*#/.test(raw);

/**
 * Joins backslash continuations like Docker: the backslash (plus any whitespace after it) is
 * removed and the next line appended as is, so a RUN's text is exactly the shell command run.
 * Comment and blank lines inside a continuation are skipped.
 */
function logicalLines(source: string): LogicalLine[] {
  const physical = source.replace(/^\uFEFF/, '').split('\n');
  const out: LogicalLine[] = [];
  let start: number | null = null;
  let buffer = '';
  for (const [index, line] of physical.entries()) {
    if (isSkippable(line)) continue;
    // trimEnd also drops the '\r' of CRLF files.
    const raw = start === null ? line.trim() : line.trimEnd();
    start ??= index + 1;
    if (raw.endsWith('\\')) {
      buffer += raw.slice(0, -1);
      continue;
    }
    out.push({ line: start, content: buffer + raw });
    start = null;
    buffer = '';
  }
  // A continuation running into the end of the file still ends the instruction (as in Docker).
  if (start !== null) out.push({ line: start, content: buffer });
  return out;
}

/** JSON array of strings, or null when `args` is not one (Docker then falls back to the plain form). */
function jsonStrings(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}

function parseFrom(args: string, fileName: string, line: number): Instruction {
  if (args === '') throw parseError(fileName, line, 'FROM needs a base image');
  const m = /^(debian|ubuntu):([a-z0-9]+)$/.exec(args);
  if (!m || !SUPPORTED_BASES[m[1] as Distro].includes(m[2]!)) {
    const supported = (Object.keys(SUPPORTED_BASES) as Distro[])
      .flatMap((d) => SUPPORTED_BASES[d].map((s) => `${d}:${s}`))
      .join(', ');
    throw parseError(fileName, line, `unsupported base ${JSON.stringify(args)} (supported: ${supported})`);
  }
  const base: BaseRef = { distro: m[1] as Distro, suite: m[2]! };
  return { kind: 'FROM', line, text: `FROM ${base.distro}:${base.suite}`, base };
}

function parseRun(args: string, fileName: string, line: number): Instruction {
  const argv = jsonStrings(args);
  if (argv !== null) {
    if (argv.length === 0) throw parseError(fileName, line, 'RUN needs a command');
    // Re-serialised, so spacing inside the JSON is cosmetic.
    return { kind: 'RUN', line, text: `RUN ${JSON.stringify(argv)}`, argv };
  }
  if (args === '') throw parseError(fileName, line, 'RUN needs a command');
  return { kind: 'RUN', line, text: `RUN ${args}`, shell: args };
}

// A plain-form token cannot contain whitespace or start with '['; anything else is written as JSON,
// so the text is unambiguous and two different COPYs never share one.
const plainToken = (p: string): boolean => !/\s/.test(p) && !p.startsWith('[');

function parseCopy(args: string, fileName: string, line: number): Instruction {
  const flag = /^--([^\s=]*)/.exec(args);
  if (flag) throw parseError(fileName, line, `unsupported COPY flag ${JSON.stringify(`--${flag[1]}`)}`);
  const paths = jsonStrings(args) ?? args.split(/\s+/).filter(Boolean);
  if (paths.length < 2) throw parseError(fileName, line, 'COPY needs at least one source and a destination');
  const sources = paths.slice(0, -1);
  const dest = paths[paths.length - 1]!;
  if (dest === '') throw parseError(fileName, line, 'COPY destination must not be empty');
  for (const s of sources) checkSourceInContext('.', s, fileName, line);
  const text = paths.every(plainToken) ? `COPY ${paths.join(' ')}` : `COPY ${JSON.stringify(paths)}`;
  return { kind: 'COPY', line, text, sources, dest };
}

/**
 * Parses a Conductorfile (a small Dockerfile subset: one FROM, then RUN and COPY) into
 * instructions. Pure: reading the file is the caller's job. Throws ConductorError
 * 'PARSE_ERROR' naming the file and the line where the bad instruction starts.
 *
 * @example
 * parseConductorfile('FROM debian:bookworm\nRUN apt-get update \\\n  && apt-get install -y curl\n');
 * // [ { kind: 'FROM', line: 1, text: 'FROM debian:bookworm', base: { distro: 'debian', suite: 'bookworm' } },
 * //   { kind: 'RUN', line: 2, text: 'RUN apt-get update   && apt-get install -y curl',
 * //     shell: 'apt-get update   && apt-get install -y curl' } ]
 */
export function parseConductorfile(source: string, fileName = 'Conductorfile'): Instruction[] {
  if (source.replace(/^\uFEFF/, '').trim() === '') throw parseError(fileName, null, 'file is empty');
  const instructions: Instruction[] = [];
  for (const { line, content } of logicalLines(source)) {
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(content)!;
    const keyword = m[1]!.toUpperCase();
    const args = (m[2] ?? '').trim();
    if (keyword !== 'FROM' && keyword !== 'RUN' && keyword !== 'COPY') {
      throw parseError(
        fileName,
        line,
        DOCKER_ONLY.has(keyword)
          ? `unsupported instruction ${JSON.stringify(keyword)} (conductor supports FROM, RUN and COPY)`
          : `unknown instruction ${JSON.stringify(keyword)}`,
      );
    }
    if (instructions.length === 0 && keyword !== 'FROM') throw parseError(fileName, line, 'FROM must be the first instruction');
    if (instructions.length > 0 && keyword === 'FROM') throw parseError(fileName, line, 'only one FROM is supported');
    const parse = keyword === 'FROM' ? parseFrom : keyword === 'RUN' ? parseRun : parseCopy;
    instructions.push(parse(args, fileName, line));
  }
  if (instructions.length === 0) throw parseError(fileName, null, 'no FROM instruction');
  return instructions;
}
