/**
 * Conductorfile syntax, pure: logical lines → stages of instruction nodes, nothing expanded yet
 * (what `$VAR` means depends on build arguments and on the stage, which build-plan.ts knows).
 * Docker's parser decides the shape of each instruction's arguments (parser/line_parsers.go:
 * name=value words for ENV, LABEL and ARG; maybe-JSON for RUN, CMD, ENTRYPOINT; JSON or a
 * blank-separated list for COPY and VOLUME; the whole rest for WORKDIR, USER and STOPSIGNAL).
 */
import { extractFlags, jsonArray, logicalLines, parseError, splitWords, type Flags } from './conductorfile-lines.ts';
import { ConductorError } from '../errors.ts';
import type { ImageHealthcheck } from '../types.ts';
import { healthOption, type HealthOption } from './healthcheck.ts';

export interface KeyValue {
  key: string;
  value: string;
}

/** `argv` for the JSON (exec) form, `shell` for the plain (shell) form. */
export interface CommandLine {
  argv?: string[];
  shell?: string;
}

/** One instruction inside a stage; words are raw (quotes and `$` still in them). */
export type InstructionNode =
  | { kind: 'ARG'; line: number; args: Array<{ key: string; value?: string }> }
  | { kind: 'ENV'; line: number; pairs: KeyValue[]; legacy: boolean }
  | { kind: 'LABEL'; line: number; pairs: KeyValue[]; legacy: boolean }
  | ({ kind: 'RUN'; line: number; mounts?: string[] } & CommandLine)
  | ({ kind: 'CMD'; line: number } & CommandLine)
  | ({ kind: 'ENTRYPOINT'; line: number } & CommandLine)
  | { kind: 'SHELL'; line: number; argv: string[] }
  | { kind: 'WORKDIR'; line: number; path: string }
  | { kind: 'USER'; line: number; user: string }
  | { kind: 'EXPOSE'; line: number; ports: string[] }
  | { kind: 'STOPSIGNAL'; line: number; signal: string }
  | { kind: 'VOLUME'; line: number; paths: string[] }
  | { kind: 'HEALTHCHECK'; line: number; healthcheck: ImageHealthcheck }
  | { kind: 'COPY'; line: number; paths: string[]; json: boolean; from?: string; chown?: string };

export interface StageNode {
  line: number;
  /** The base as written (may hold `$ARG`s from before the first FROM). */
  image: string;
  /** `AS name`, lower-cased as Docker does. */
  name?: string;
  instructions: InstructionNode[];
}

export interface ParsedFile {
  fileName: string;
  /** ARGs before the first FROM: usable in FROM lines, and in a stage that redeclares them. */
  metaArgs: Array<Extract<InstructionNode, { kind: 'ARG' }>>;
  stages: StageNode[];
}

const NOT_SUPPORTED: Readonly<Record<string, string>> = Object.freeze({
  ADD: 'ADD (use COPY; conductor neither fetches URLs nor unpacks archives)',
  ONBUILD: 'ONBUILD',
  MAINTAINER: 'MAINTAINER (deprecated in Docker too; use LABEL maintainer="...")',
});

const SUPPORTED_FLAGS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  COPY: ['from', 'chown'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'retries'],
  RUN: ['mount'],
});
// Flags that may be given more than once (each `RUN --mount` adds a mount, as in BuildKit).
const REPEATABLE: ReadonlySet<string> = new Set(['RUN --mount']);
// Docker flags conductor knows and refuses, so the message can say "not supported" instead of "unknown".
const DOCKER_FLAGS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  COPY: ['chmod', 'link', 'parents', 'exclude'],
  FROM: ['platform'],
  RUN: ['network', 'security', 'device'],
  HEALTHCHECK: ['start-interval'],
});

// Docker's rule (instructions/parse.go validStageName), applied after lower-casing.
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

interface Ctx {
  fileName: string;
  line: number;
  keyword: string;
}

const fail = (ctx: Ctx, message: string): Error => parseError(ctx.fileName, ctx.line, message);

function checkFlags(ctx: Ctx, { flags }: Flags): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { name, value } of flags) {
    if (DOCKER_FLAGS[ctx.keyword]?.includes(name)) throw fail(ctx, `not supported: ${ctx.keyword} --${name}`);
    const allowed = SUPPORTED_FLAGS[ctx.keyword] ?? [];
    if (!allowed.includes(name)) {
      const hint =
        allowed.length > 0
          ? ` (${ctx.keyword} takes ${allowed.map((f) => `--${f}`).join(' and ')})`
          : ` (${ctx.keyword} takes no flags)`;
      throw fail(ctx, `unknown flag "--${name}" for ${ctx.keyword}${hint}`);
    }
    if (out.has(name) && !REPEATABLE.has(`${ctx.keyword} --${name}`))
      throw fail(ctx, `${ctx.keyword} --${name} given twice`);
    if (value === null || value === '') throw fail(ctx, `${ctx.keyword} --${name} needs a value, e.g. --${name}=...`);
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

/** ENV and LABEL: `k=v ...`, or the legacy `k value with blanks` (one pair, the rest of the line). */
function nameValues(ctx: Ctx, args: string): { pairs: KeyValue[]; legacy: boolean } {
  const words = splitWords(args);
  if (words.length === 0) throw fail(ctx, `${ctx.keyword} needs NAME=VALUE`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
    if (!m) throw fail(ctx, `${ctx.keyword} needs a value: ${ctx.keyword} ${words[0]}=VALUE`);
    return { pairs: [{ key: m[1]!, value: m[2]! }], legacy: true };
  }
  const pairs = words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0)
      throw fail(ctx, `${ctx.keyword} ${JSON.stringify(w)} has no "=" (write NAME=VALUE; quote values with blanks)`);
    if (eq === 0) throw fail(ctx, `${ctx.keyword} names must not be empty`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
  return { pairs, legacy: false };
}

function commandLine(ctx: Ctx, args: string, allowEmptyJson: boolean): CommandLine {
  const argv = jsonArray(args, (m) => fail(ctx, `${ctx.keyword}: ${m}`));
  if (argv !== null) {
    if (argv.length === 0 && !allowEmptyJson) throw fail(ctx, `${ctx.keyword} needs a command`);
    return { argv };
  }
  if (args === '') {
    throw fail(
      ctx,
      allowEmptyJson
        ? `${ctx.keyword} needs a command (write ${ctx.keyword} [] to clear it)`
        : `${ctx.keyword} needs a command`,
    );
  }
  return { shell: args };
}

const HEALTH_FIELDS: ReadonlyArray<[HealthOption, 'intervalMs' | 'timeoutMs' | 'startPeriodMs' | 'retries']> = [
  ['interval', 'intervalMs'],
  ['timeout', 'timeoutMs'],
  ['start-period', 'startPeriodMs'],
  ['retries', 'retries'],
];

/** Docker's parseHealthConfig: `NONE`, or flags then `CMD` and a maybe-JSON command. */
function healthcheck(ctx: Ctx, flags: ReadonlyMap<string, string[]>, rest: string): ImageHealthcheck {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(rest);
  const kind = m?.[1]!.toUpperCase();
  if (kind === 'NONE') {
    if (flags.size > 0 || (m![2] ?? '') !== '') throw fail(ctx, 'HEALTHCHECK NONE takes no flags or arguments');
    return { test: ['NONE'] };
  }
  if (kind !== 'CMD')
    throw fail(ctx, `HEALTHCHECK needs CMD or NONE, e.g. HEALTHCHECK --interval=30s CMD curl -f http://localhost/`);
  const cmd = commandLine({ ...ctx, keyword: 'HEALTHCHECK CMD' }, (m![2] ?? '').trim(), false);
  const out: ImageHealthcheck = { test: cmd.argv ? ['CMD', ...cmd.argv] : ['CMD-SHELL', cmd.shell!] };
  for (const [flag, field] of HEALTH_FIELDS) {
    const raw = flags.get(flag)?.[0];
    if (raw === undefined) continue;
    try {
      const v = healthOption(flag, raw);
      if (v !== 0) out[field] = v;
    } catch (e) {
      if (e instanceof ConductorError) throw fail(ctx, `HEALTHCHECK --${flag}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

function exactlyOne(ctx: Ctx, args: string, what: string): string {
  if (args === '') throw fail(ctx, `${ctx.keyword} needs ${what}`);
  return args;
}

function parseInstruction(ctx: Ctx, args: string): InstructionNode {
  const line = ctx.line;
  const flagged = extractFlags(args);
  const flags = checkFlags(ctx, flagged);
  const rest = flagged.rest.trim();
  switch (ctx.keyword) {
    case 'ARG': {
      const words = splitWords(rest);
      if (words.length === 0) throw fail(ctx, 'ARG needs a name, e.g. ARG VERSION or ARG VERSION=1.0');
      return {
        kind: 'ARG',
        line,
        args: words.map((w) => {
          const eq = w.indexOf('=');
          if (eq === 0) throw fail(ctx, 'ARG names must not be empty');
          return eq < 0 ? { key: w } : { key: w.slice(0, eq), value: w.slice(eq + 1) };
        }),
      };
    }
    case 'ENV':
      return { kind: 'ENV', line, ...nameValues(ctx, rest) };
    case 'LABEL':
      return { kind: 'LABEL', line, ...nameValues(ctx, rest) };
    case 'RUN': {
      const node: InstructionNode = { kind: 'RUN', line, ...commandLine(ctx, rest, false) };
      if (flags.has('mount')) node.mounts = flags.get('mount')!;
      return node;
    }
    case 'CMD':
      return { kind: 'CMD', line, ...commandLine(ctx, rest, true) };
    case 'ENTRYPOINT':
      return { kind: 'ENTRYPOINT', line, ...commandLine(ctx, rest, true) };
    case 'SHELL': {
      const argv = jsonArray(rest, (m) => fail(ctx, `SHELL: ${m}`));
      if (argv === null) throw fail(ctx, 'SHELL needs the JSON form, e.g. SHELL ["/bin/bash", "-c"]');
      if (argv.length === 0) throw fail(ctx, 'SHELL needs at least the shell, e.g. SHELL ["/bin/bash", "-c"]');
      return { kind: 'SHELL', line, argv };
    }
    case 'WORKDIR':
      return { kind: 'WORKDIR', line, path: exactlyOne(ctx, rest, 'a directory') };
    case 'USER':
      return { kind: 'USER', line, user: exactlyOne(ctx, rest, 'a user: USER name|uid[:group|gid]') };
    case 'STOPSIGNAL':
      return { kind: 'STOPSIGNAL', line, signal: exactlyOne(ctx, rest, 'a signal, e.g. STOPSIGNAL SIGINT') };
    case 'EXPOSE': {
      const ports = rest.split(/\s+/).filter(Boolean);
      if (ports.length === 0) throw fail(ctx, 'EXPOSE needs a port, e.g. EXPOSE 8080 or EXPOSE 53/udp');
      return { kind: 'EXPOSE', line, ports };
    }
    case 'VOLUME': {
      const paths = jsonArray(rest, (m) => fail(ctx, `VOLUME: ${m}`)) ?? rest.split(/\s+/).filter(Boolean);
      if (paths.length === 0) throw fail(ctx, 'VOLUME needs a path, e.g. VOLUME /data');
      return { kind: 'VOLUME', line, paths };
    }
    case 'HEALTHCHECK':
      return { kind: 'HEALTHCHECK', line, healthcheck: healthcheck(ctx, flags, rest) };
    case 'COPY': {
      const json = jsonArray(rest, (m) => fail(ctx, `COPY: ${m}`));
      const paths = json ?? rest.split(/\s+/).filter(Boolean);
      if (paths.length < 2) throw fail(ctx, 'COPY needs at least one source and a destination');
      const node: InstructionNode = { kind: 'COPY', line, paths, json: json !== null };
      if (flags.has('from')) node.from = flags.get('from')![0]!;
      if (flags.has('chown')) node.chown = flags.get('chown')![0]!;
      return node;
    }
  }
  throw new Error(`unreachable: ${ctx.keyword}`);
}

const KNOWN = new Set([
  'ARG',
  'ENV',
  'LABEL',
  'RUN',
  'CMD',
  'ENTRYPOINT',
  'SHELL',
  'WORKDIR',
  'USER',
  'STOPSIGNAL',
  'EXPOSE',
  'VOLUME',
  'COPY',
  'HEALTHCHECK',
]);

function parseFromLine(ctx: Ctx, args: string): StageNode {
  const flagged = extractFlags(args);
  checkFlags(ctx, flagged);
  const words = flagged.rest.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw fail(ctx, 'FROM needs a base image');
  if (words.length === 1) return { line: ctx.line, image: words[0]!, instructions: [] };
  if (words.length !== 3 || words[1]!.toLowerCase() !== 'as') {
    throw fail(ctx, `FROM takes an image and an optional stage name: FROM ${words[0]} [AS name]`);
  }
  const name = words[2]!.toLowerCase();
  if (!STAGE_NAME.test(name)) {
    throw fail(
      ctx,
      `invalid stage name ${JSON.stringify(words[2])} (start with a letter; then letters, digits, "-", "_", ".")`,
    );
  }
  return { line: ctx.line, image: words[0]!, name, instructions: [] };
}

/**
 * Parses a Conductorfile (a Dockerfile) into its ARGs before the first FROM and its stages.
 * Syntax only: nothing is expanded or resolved (see planBuild). Throws ConductorError
 * 'PARSE_ERROR' naming the file and the line where the bad instruction starts.
 *
 * @example
 * const file = parseDockerfile('ARG SUITE=bookworm\nFROM debian:$SUITE AS build\nRUN make\n');
 * file.metaArgs[0].args;          // [{ key: 'SUITE', value: 'bookworm' }]
 * file.stages[0].image;           // 'debian:$SUITE'
 * file.stages[0].instructions[0]; // { kind: 'RUN', line: 3, shell: 'make' }
 */
export function parseDockerfile(source: string, fileName = 'Conductorfile'): ParsedFile {
  if (source.replace(/^\uFEFF/, '').trim() === '') throw parseError(fileName, null, 'file is empty');
  const file: ParsedFile = { fileName, metaArgs: [], stages: [] };
  const names = new Map<string, number>();
  for (const { line, content } of logicalLines(source, fileName)) {
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(content)!;
    const keyword = m[1]!.toUpperCase();
    const ctx: Ctx = { fileName, line, keyword };
    const args = (m[2] ?? '').trim();
    if (keyword === 'FROM') {
      const stage = parseFromLine(ctx, args);
      if (stage.name !== undefined) {
        const first = names.get(stage.name);
        if (first !== undefined) throw fail(ctx, `stage name "${stage.name}" is already used on line ${first}`);
        names.set(stage.name, line);
      }
      file.stages.push(stage);
      continue;
    }
    if (NOT_SUPPORTED[keyword]) throw fail(ctx, `not supported: ${NOT_SUPPORTED[keyword]}`);
    if (!KNOWN.has(keyword)) throw fail(ctx, `unknown instruction ${JSON.stringify(keyword)}`);
    const node = parseInstruction(ctx, args);
    const stage = file.stages.at(-1);
    if (stage) stage.instructions.push(node);
    else if (node.kind === 'ARG') file.metaArgs.push(node);
    else throw fail(ctx, `${keyword} before FROM (only ARG may come before the first FROM)`);
  }
  if (file.stages.length === 0) throw parseError(fileName, null, 'no FROM instruction');
  return file;
}
