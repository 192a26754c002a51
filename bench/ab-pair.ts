/**
 * A paired, interleaved A/B of two command lines: `tsx bench/ab-pair.ts RUNS A... -- B...`.
 * Each round runs both (alternating which goes first) and the figure is the median of the
 * per-round differences B - A, which cancels the machine's drift (hyperfine times one command's
 * runs together, so a drift of a few ms between its blocks swamps a sub-millisecond change).
 * NODE_EXTRA_CA_CERTS is removed, as `just bench` does.
 *
 * @example
 * // tsx bench/ab-pair.ts 100 node /old/dist/conductor.cjs exec web /bin/true -- node dist/conductor.cjs exec web /bin/true
 */
import { spawnSync } from 'node:child_process';
import { median } from './lib/stats.ts';

const [runsArg, ...rest] = process.argv.slice(2);
const cut = rest.indexOf('--');
const runs = Number(runsArg);
if (!Number.isInteger(runs) || runs < 1 || cut < 1 || cut === rest.length - 1) {
  console.error('usage: tsx bench/ab-pair.ts RUNS COMMAND_A... -- COMMAND_B...');
  process.exit(2);
}
const a = rest.slice(0, cut);
const b = rest.slice(cut + 1);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function once(argv: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env });
  if (r.status !== 0) {
    console.error(`ab-pair: ${argv.join(' ')} exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

for (let i = 0; i < 3; i++) (once(a), once(b));
const ta: number[] = [];
const tb: number[] = [];
for (let i = 0; i < runs; i++) {
  if (i % 2) {
    ta.push(once(a));
    tb.push(once(b));
  } else {
    tb.push(once(b));
    ta.push(once(a));
  }
}
const diff = median(tb.map((x, i) => x - ta[i]!));
console.log(
  `A ${median(ta).toFixed(1)} ms, B ${median(tb).toFixed(1)} ms, median of B - A per round ${diff.toFixed(2)} ms (${runs} rounds)`,
);
