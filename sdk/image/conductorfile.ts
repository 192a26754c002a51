import type { BaseRef } from '../types.ts';
import { parseError } from './conductorfile-lines.ts';
import { parseDockerfile } from './conductorfile-syntax.ts';
import { planBuild } from './build-plan.ts';
import { SCRATCH_BASE } from './base-plan.ts';

/**
 * One step of a single-stage FROM/RUN/COPY Conductorfile, the shape today's builder runs.
 * `line` is the 1-based line where the instruction starts; `text` is its normalised form (keyword
 * upper-case, continuations joined, canonical arguments), used as the layer-cache key: comments,
 * blank lines, CRLF, trailing spaces and keyword case never change it; any change to what the
 * step does always does.
 */
export type Instruction =
  /** `registry`: FROM a registry image (then `base` is the empty scratch base under its layers). */
  | { kind: 'FROM'; line: number; text: string; base: BaseRef; registry?: string }
  | { kind: 'RUN'; line: number; text: string; argv?: string[]; shell?: string }
  | { kind: 'COPY'; line: number; text: string; sources: string[]; dest: string };

/**
 * Parses a Conductorfile that today's builder can run: one FROM of a debootstrap base, then RUN
 * and COPY (no flags). Everything else parses (see parseDockerfile/planBuild) but is refused here
 * with PARSE_ERROR, so a build never silently drops an ENV or a CMD it cannot yet apply.
 *
 * @example
 * parseConductorfile('FROM debian:bookworm\nRUN apt-get update \\\n  && apt-get install -y curl\n');
 * // [ { kind: 'FROM', line: 1, text: 'FROM debian:bookworm', base: { distro: 'debian', suite: 'bookworm' } },
 * //   { kind: 'RUN', line: 2, text: 'RUN apt-get update   && apt-get install -y curl',
 * //     shell: 'apt-get update   && apt-get install -y curl' } ]
 */
export function parseConductorfile(source: string, fileName = 'Conductorfile'): Instruction[] {
  const file = parseDockerfile(source, fileName);
  const unsupported = (line: number, what: string): Error =>
    parseError(fileName, line, `unsupported instruction ${JSON.stringify(what)} (conductor supports FROM, RUN and COPY)`);
  if (file.metaArgs.length > 0) throw unsupported(file.metaArgs[0]!.line, 'ARG');
  if (file.stages.length > 1) throw parseError(fileName, file.stages[1]!.line, 'only one FROM is supported');
  const [stage] = file.stages;
  if (stage!.name !== undefined) throw parseError(fileName, stage!.line, 'only one FROM is supported (no stage names)');
  for (const n of stage!.instructions) {
    if (n.kind !== 'RUN' && n.kind !== 'COPY') throw unsupported(n.line, n.kind);
    if (n.kind === 'COPY' && (n.from !== undefined || n.chown !== undefined)) {
      throw parseError(fileName, n.line, `unsupported COPY flag "--${n.from !== undefined ? 'from' : 'chown'}"`);
    }
  }
  const plan = planBuild(file);
  const planned = plan.stages[0]!;
  if (planned.base.kind !== 'base' && planned.base.kind !== 'registry') throw parseError(fileName, planned.line, 'only a debootstrap base or a registry image is supported by this builder');
  const out: Instruction[] = [
    planned.base.kind === 'registry'
      ? { kind: 'FROM', line: planned.line, text: planned.text, base: SCRATCH_BASE, registry: planned.base.ref }
      : { kind: 'FROM', line: planned.line, text: planned.text, base: planned.base.base },
  ];
  planned.steps.forEach((step, i) => {
    if (step.kind === 'RUN') {
      const n = stage!.instructions[i] as Extract<(typeof stage)['instructions'][number], { kind: 'RUN' }>;
      out.push(n.argv ? { kind: 'RUN', line: step.line, text: step.text, argv: n.argv } : { kind: 'RUN', line: step.line, text: step.text, shell: n.shell! });
    } else if (step.kind === 'COPY') {
      out.push({ kind: 'COPY', line: step.line, text: step.text, sources: step.sources, dest: step.dest });
    }
  });
  return out;
}
