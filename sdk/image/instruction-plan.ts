/** Planning one instruction of a stage: a COPY step, or a metadata instruction applied to the stage's config. */
import path from 'node:path';
import { checkSourceInContext } from './copy-rules.ts';
import type { InstructionNode } from './conductorfile-syntax.ts';
import { cloneConfig, setEnv } from './image-config.ts';
import { parseStopSignal } from './stop-signal.ts';
import { expandWords, SubstitutionError } from './substitution.ts';
import type { BuildStep, CopyFrom } from './plan-steps.ts';
import {
  CHOWN_SPEC,
  copyFrom,
  expand,
  fail,
  lookupIn,
  parsePorts,
  plainToken,
  refText,
  resolveDest,
  resolveWorkdir,
  USER_SPEC,
  type Ctx,
  type StagePlanner,
  type StageState,
} from './stage-resolve.ts';

export function planCopy(
  p: StagePlanner,
  ctx: Ctx,
  node: Extract<InstructionNode, { kind: 'COPY' }>,
  st: StageState,
  current: number,
  deps: Set<number>,
): BuildStep {
  const lookup = lookupIn(st.vars);
  const from: CopyFrom = node.from === undefined ? { kind: 'context' } : copyFrom(p, ctx, node.from, current);
  if (from.kind === 'stage') deps.add(from.index);
  const paths = node.paths.map((w) => expand(ctx, w, lookup));
  const sources = paths.slice(0, -1);
  const dest = paths.at(-1)!;
  if (dest === '') throw fail(ctx, 'COPY destination must not be empty');
  for (const s of sources) {
    if (s === '') throw fail(ctx, 'COPY source must not be empty');
    if (from.kind === 'context') checkSourceInContext('.', s, ctx.file.fileName, ctx.line);
  }
  let chown: string | undefined;
  if (node.chown !== undefined) {
    chown = expand(ctx, node.chown, lookup);
    if (!CHOWN_SPEC.test(chown))
      throw fail(ctx, `COPY --chown=${JSON.stringify(chown)} is not user[:group] (names or ids)`);
  }
  const flags: string[] = [];
  if (from.kind === 'stage') flags.push(`--from=${from.index}`);
  else if (from.kind !== 'context') flags.push(`--from=${refText(from)}`);
  if (chown !== undefined) flags.push(`--chown=${chown}`);
  const body = paths.every(plainToken) ? paths.join(' ') : JSON.stringify(paths);
  const step: BuildStep = {
    kind: 'COPY',
    line: ctx.line,
    text: ['COPY', ...flags, body].join(' '),
    config: cloneConfig(st.config),
    from,
    sources:
      from.kind === 'context'
        ? sources
        : sources.map((s) => path.posix.join('/', s) + (s.endsWith('/') && s !== '/' ? '/' : '')),
    dest: resolveDest(st.config.workdir, dest),
  };
  if (chown !== undefined) step.chown = chown;
  return step;
}

/** Applies one metadata instruction to the stage state; returns the step's canonical text. */
export function applyMeta(
  p: StagePlanner,
  ctx: Ctx,
  node: Exclude<InstructionNode, { kind: 'RUN' | 'COPY' }>,
  st: StageState,
  seen: Map<string, number>,
): string {
  const lookup = lookupIn(st.vars);
  const c = st.config;
  const withShell = (n: { argv?: string[]; shell?: string }): string[] => n.argv ?? [...c.shell, n.shell!];
  switch (node.kind) {
    case 'ARG': {
      const parts: string[] = [];
      for (const a of node.args) {
        // Docker's order: a build arg, else the default (expanded now), else a redeclared global's value.
        let value: string | undefined = p.buildArgs[a.key];
        if (value === undefined && a.value !== undefined) value = expand(ctx, a.value, lookupIn(st.vars));
        if (value === undefined && a.value === undefined) value = p.meta.get(a.key);
        if (value !== undefined) st.vars.set(a.key, value);
        parts.push(value === undefined ? a.key : `${a.key}=${value}`);
      }
      return `ARG ${JSON.stringify(parts)}`;
    }
    case 'ENV':
    case 'LABEL': {
      if (node.legacy)
        p.warnings.push(
          `${ctx.file.fileName}:${ctx.line}: "${node.kind} key value" is the legacy form; write ${node.kind} key=value`,
        );
      // Every pair sees the variables as they were before the instruction, as in Docker.
      const pairs = node.pairs.map(({ key, value }) => ({
        key: expand(ctx, key, lookup),
        value: expand(ctx, value, lookup),
      }));
      for (const { key, value } of pairs) {
        if (key === '') throw fail(ctx, `${node.kind} names must not be empty`);
        if (node.kind === 'ENV') {
          if (key.includes('=')) throw fail(ctx, `ENV name ${JSON.stringify(key)} must not contain "="`);
          c.env = setEnv(c.env, key, value);
          st.vars.set(key, value);
        } else {
          c.labels[key] = value;
        }
      }
      return `${node.kind} ${JSON.stringify(pairs.map(({ key, value }) => `${key}=${value}`))}`;
    }
    case 'WORKDIR': {
      const dir = expand(ctx, node.path, lookup);
      if (dir === '') throw fail(ctx, `WORKDIR ${JSON.stringify(node.path)} expands to an empty path`);
      c.workdir = resolveWorkdir(c.workdir, dir);
      return `WORKDIR ${c.workdir}`;
    }
    case 'USER': {
      const user = expand(ctx, node.user, lookup);
      if (!USER_SPEC.test(user)) throw fail(ctx, `USER ${JSON.stringify(user)} is not name|uid[:group|gid]`);
      c.user = user;
      return `USER ${user}`;
    }
    case 'CMD':
    case 'ENTRYPOINT': {
      const first = seen.get(node.kind);
      if (first !== undefined)
        p.warnings.push(
          `${ctx.file.fileName}:${ctx.line}: ${node.kind} replaces the one on line ${first}; ` +
            'only the last in a stage takes effect',
        );
      seen.set(node.kind, ctx.line);
      const argv = withShell(node);
      if (node.kind === 'CMD') {
        c.cmd = argv;
      } else {
        if (argv.length > 0) c.entrypoint = argv;
        else delete c.entrypoint;
        // A new ENTRYPOINT drops the CMD inherited from the base (it was written for the old one),
        // unless this stage set its own.
        if (!seen.has('CMD')) delete c.cmd;
      }
      return `${node.kind} ${JSON.stringify(argv)}`;
    }
    case 'SHELL':
      c.shell = [...node.argv];
      return `SHELL ${JSON.stringify(node.argv)}`;
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const raw of node.ports) {
        let words: string[];
        try {
          words = expandWords(raw, lookup);
        } catch (e) {
          if (e instanceof SubstitutionError) throw fail(ctx, `EXPOSE: ${e.message}`);
          throw e;
        }
        for (const w of words) ports.push(...parsePorts(ctx, w));
      }
      for (const port of ports) if (!c.exposedPorts.includes(port)) c.exposedPorts.push(port);
      return `EXPOSE ${JSON.stringify(ports)}`;
    }
    case 'STOPSIGNAL': {
      const signal = expand(ctx, node.signal, lookup);
      try {
        parseStopSignal(signal);
      } catch {
        throw fail(
          ctx,
          `STOPSIGNAL ${JSON.stringify(signal)} is not a signal ` +
            '(use a name such as SIGTERM or SIGRTMIN+3, or a number 1-64)',
        );
      }
      c.stopSignal = signal;
      return `STOPSIGNAL ${signal}`;
    }
    case 'HEALTHCHECK': {
      // Not expanded, as in Docker (HEALTHCHECK is not among the instructions that substitute).
      // NONE is kept as Docker keeps it: it disables the base's in this image and in its children.
      c.healthcheck = { ...node.healthcheck, test: [...node.healthcheck.test] };
      return `HEALTHCHECK ${JSON.stringify(c.healthcheck)}`;
    }
    case 'VOLUME': {
      const paths = node.paths.map((v) => expand(ctx, v, lookup).trim());
      if (paths.some((v) => v === '')) throw fail(ctx, 'VOLUME path must not be empty');
      for (const v of paths) if (!c.volumes.includes(v)) c.volumes.push(v);
      return `VOLUME ${JSON.stringify(paths)}`;
    }
  }
}
