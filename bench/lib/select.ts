/** `tsx bench/run.ts [GROUP...]`: which groups run, and what the setup must prepare for them. Pure. */
import type { GroupDef, Need } from './context.ts';

export type Selection =
  | { kind: 'run'; groups: GroupDef[]; full: boolean }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

export function usage(all: readonly GroupDef[]): string {
  return [
    'usage: tsx bench/run.ts [GROUP...]   (just bench [GROUP...])',
    'Without GROUP: every group, the report to BENCHMARKS.md and bench/charts/.',
    'With GROUPs: only those (in the order below), the report to bench/last-run.md and bench/last-run/ (and stdout).',
    `groups: ${all.map((g) => g.id).join(' ')}`,
  ].join('\n');
}

/** The groups named on the command line, in the canonical order of `all` (duplicates ignored). */
export function selectGroups(args: readonly string[], all: readonly GroupDef[]): Selection {
  if (args.some((a) => a === '-h' || a === '--help')) return { kind: 'help', text: usage(all) };
  const ids = all.map((g) => g.id);
  const unknown = args.filter((a) => !ids.includes(a));
  if (unknown.length) {
    const what = unknown.map((a) => JSON.stringify(a)).join(', ');
    return {
      kind: 'error',
      message: `bench: unknown group${unknown.length > 1 ? 's' : ''} ${what}; valid groups: ${ids.join(', ')}`,
    };
  }
  if (args.length === 0) return { kind: 'run', groups: [...all], full: true };
  const picked = all.filter((g) => args.includes(g.id));
  return { kind: 'run', groups: picked, full: picked.length === all.length };
}

const IMPLIES: Partial<Record<Need, Need[]>> = {
  'podman-container': ['podman-image'],
  'podman-build': ['podman-image'],
};

/** Everything the setup prepares for these groups, with what each need implies. */
export function needsOf(groups: readonly GroupDef[]): Set<Need> {
  const out = new Set<Need>();
  const add = (n: Need) => {
    if (out.has(n)) return;
    out.add(n);
    for (const m of IMPLIES[n] ?? []) add(m);
  };
  for (const g of groups) for (const n of g.needs ?? []) add(n);
  return out;
}
