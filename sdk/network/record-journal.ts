/**
 * Container records held for the length of a network change: each owner's container lock is
 * taken once (in name order, so two holders cannot deadlock), its record loaded once, and every
 * change — the undo of each step before the step runs, the network and peers after — saved from
 * memory, never re-read. Lock order: container locks, then (inside) the host's `network` lock.
 */
import type { Paths } from '../config.ts';
import { ConductorError, isConductorError } from '../errors.ts';
import type { Journal } from './apply.ts';
import { withLock } from '../state/lock.ts';
import { containerLock, requireRecord, saveRecord, updateRecord } from '../state/containers.ts';
import type { ContainerRecord, HostOp, NetworkRecord, UndoStep } from '../types.ts';

export interface HeldRecords {
  get(name: string): ContainerRecord;
  /** Change a held record and save it. */
  update(name: string, fn: (r: ContainerRecord) => ContainerRecord): void;
  /** A journal appending each undo to every owner's record; on rollback, `onRollback` patches their network. */
  journal(onRollback: (n: NetworkRecord | undefined) => NetworkRecord | undefined): Journal;
}

/** Undo steps are the same when their operations are: key order and `about` text do not count. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export const opKey = (op: HostOp): string => canonical(op);

function without(undo: UndoStep[], drop: UndoStep[]): UndoStep[] {
  const keys = new Set(drop.map((u) => opKey(u.op)));
  return undo.filter((u) => !keys.has(opKey(u.op)));
}

/**
 * Run `fn` holding the records of `names` (each must exist and not be being removed). A record
 * that stop has claimed is gone for us (CONTAINER_NOT_FOUND), as for every other writer.
 * @example await withRecords(paths, ['web'], async (held) => apply(steps, { journal: held.journal(() => undefined) }));
 */
export async function withRecords<T>(paths: Paths, names: string[], fn: (held: HeldRecords) => Promise<T>): Promise<T> {
  const order = [...new Set(names)].sort();
  const recs = new Map<string, ContainerRecord>();
  const held: HeldRecords = {
    get: (name) => recs.get(name)!,
    update(name, f) {
      const next = f(recs.get(name)!);
      saveRecord(paths, next);
      recs.set(name, next);
    },
    journal: (onRollback) => ({
      record(u) {
        for (const n of order) held.update(n, (r) => ({ ...r, undo: [...r.undo, u] }));
      },
      forget(undone) {
        for (const n of order)
          held.update(n, (r) => ({ ...r, undo: without(r.undo, undone), network: onRollback(r.network) }));
      },
    }),
  };
  const take = async (i: number): Promise<T> => {
    if (i === order.length) return fn(held);
    const name = order[i]!;
    return withLock(paths.locks, containerLock(name), async () => {
      const rec = requireRecord(paths, name);
      if (rec.stopping) throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" is being removed`);
      recs.set(name, rec);
      return take(i + 1);
    });
  };
  return take(0);
}

/**
 * Drop undo steps from a record that is not held (a peer's, at stop time), patching its network;
 * a record already gone is fine.
 */
export async function dropUndos(
  paths: Paths,
  name: string,
  undos: UndoStep[],
  patch: (n: NetworkRecord | undefined) => NetworkRecord | undefined,
): Promise<void> {
  try {
    await updateRecord(paths, name, (r) => ({ ...r, undo: without(r.undo, undos), network: patch(r.network) }));
  } catch (e) {
    if (!isConductorError(e, 'CONTAINER_NOT_FOUND')) throw e;
  }
}
