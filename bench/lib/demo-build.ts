/**
 * The demo's counter-service with a changed install line, warm base: each run writes the file with a
 * new first RUN (a `: <nanoseconds>` in front of apt-get), so that step and everything above it runs
 * again. Warm: apt finds its .debs in the build cache; `--no-cache`: a fresh cache, i.e. every .deb
 * downloaded again, as every build did before the apt cache. Interleaved one run each, so both see the
 * same mirror and the same load.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from './context.ts';
import { cmdline, hyperfine } from './proc.ts';
import type { Row } from './report.ts';

export async function demoChangedInstallRows(ctx: BenchContext, runs: number): Promise<Row[]> {
  const { repo, top, env, conductor, row } = ctx;
  const file = path.join(top, 'demo-changed.Conductorfile');
  const prep = path.join(top, 'prep-demo-changed.sh');
  const src = path.join(repo, 'conductorfiles', 'counter-service.Conductorfile');
  // The previous run's image goes first: its ~200 MB of layers would pile up in the bench root.
  writeFileSync(
    prep,
    `${cmdline(conductor('rmi', 'cbench-demo-changed'))} >/dev/null 2>&1 || true\n` +
      `sed "s|^RUN apt-get update|RUN : $(date +%s%N) \\&\\& apt-get update|" ${src} > ${file}\n`,
  );
  const build = (...extra: string[]) =>
    cmdline(conductor('build', 'cbench-demo-changed', file, '--context', repo, '-q', ...extra));
  const opts = { runs: 1, warmup: 0, prepare: `sh ${prep}`, env, timeoutMs: ctx.hfTimeout(300_000) };
  // Untimed: fills the apt cache.
  await hyperfine(build(), opts);
  const warm: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < runs; i++) {
    warm.push(...(await hyperfine(build(), opts)));
    fresh.push(...(await hyperfine(build('--no-cache'), opts)));
  }
  const note = `${runs} runs each, interleaved; every run's first RUN line is new (counter-service.Conductorfile)`;
  return [
    row('demo counter-service, changed install line, apt cache warm', warm, { conductor: true, note }),
    row('same, --no-cache (every .deb downloaded again, as before the apt cache)', fresh, { conductor: true }),
  ];
}
