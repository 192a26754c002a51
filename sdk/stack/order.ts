import { ConductorError } from '../errors.ts';

/**
 * Kahn's algorithm in levels: level 0 depends on nothing, level n only on levels before it. Services
 * inside a level are sorted by name, so the order is stable. A cycle is refused, naming it.
 */
export function startLevels(stack: string, deps: Record<string, string[]>): string[][] {
  const left = new Map(Object.entries(deps).map(([s, d]) => [s, new Set(d)]));
  const levels: string[][] = [];
  while (left.size) {
    const ready = [...left]
      .filter(([, d]) => d.size === 0)
      .map(([s]) => s)
      .sort();
    if (!ready.length) {
      const cycle = findCycle(left);
      throw new ConductorError('INVALID_ARGUMENT', `stack ${stack}: dependency cycle ${cycle.join(' → ')}`, {
        hint: 'remove one of these dependsOn entries',
      });
    }
    for (const s of ready) left.delete(s);
    for (const d of left.values()) for (const s of ready) d.delete(s);
    levels.push(ready);
  }
  return levels;
}

function findCycle(graph: Map<string, Set<string>>): string[] {
  const start = [...graph.keys()].sort()[0]!;
  const path: string[] = [];
  let at = start;
  while (!path.includes(at)) {
    path.push(at);
    at = [...graph.get(at)!].sort()[0]!;
  }
  return [...path.slice(path.indexOf(at)), at];
}
