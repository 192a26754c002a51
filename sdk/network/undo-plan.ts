/**
 * Pure: the recorded undos of several containers being stopped together, as a few batched host
 * operations instead of a few per container. Each firewall tool is started once for the whole
 * batch (one restore per tool, merged per table), ip_forward is released once, and the host ends
 * of the veths are deleted in one `ip -b`: when the batch's namespaces die together the kernel
 * removes their veths in one cleanup, which is why the caller first waits for that.
 */
import { TABLE_ORDER } from './firewall.ts';
import { opKey } from './record-journal.ts';
import { ipsetRestoreArgv } from './sets.ts';
import type { HostOp, UndoStep } from '../types.ts';

export interface UndoBatchPlan {
  /**
   * Every other undo, each container's newest first: file writes, hosts lines, other tools, sysctls
   * except those of a veth the batch deletes.
   */
  each: HostOp[];
  /**
   * The batch's `iptables-restore` undos merged into one, and each as recorded: a merged restore is
   * atomic per table, so one rule already gone fails it, and then each part is retried alone.
   */
  restore: { merged: HostOp; parts: HostOp[] } | null;
  /** The batch's set-element deletions as one `ipset -exist restore` (null: none); a missing element is fine. */
  sets: HostOp | null;
  /** Tags of the batch's forwarding releases: one release, once the rules above are gone. */
  release: string[];
  /** Host ends of veths (`ip link del X` undos), to delete together if still there. */
  links: string[];
}

const isRestore = (op: HostOp): op is Extract<HostOp, { kind: 'exec' }> & { input: string } =>
  op.kind === 'exec' && op.argv[0] === 'iptables-restore' && op.input !== undefined;

/** A deletion of set elements (sets.ts): `ipset -exist restore` of `del` lines, merged by concatenation. */
const isSetDelete = (op: HostOp): op is Extract<HostOp, { kind: 'exec' }> & { input: string } =>
  op.kind === 'exec' && op.argv.join(' ') === ipsetRestoreArgv('del').join(' ') && op.input !== undefined;

const linkOf = (op: HostOp): string | null =>
  op.kind === 'exec' && op.argv.length === 4 && op.argv.slice(0, 3).join(' ') === 'ip link del' ? op.argv[3]! : null;

/**
 * Several `iptables-restore --noflush` inputs as one: the rule lines of each table in the order
 * given, one COMMIT per table.
 * @example mergeRestoreInputs(['*nat\n-D X a\nCOMMIT\n', '*nat\n-D X b\nCOMMIT\n']) // '*nat\n-D X a\n-D X b\nCOMMIT\n'
 */
export function mergeRestoreInputs(inputs: string[]): string {
  const byTable = new Map<string, string[]>();
  for (const input of inputs) {
    let table = 'filter';
    for (const raw of input.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith('-')) byTable.set(table, [...(byTable.get(table) ?? []), line]);
    }
  }
  const order = [...TABLE_ORDER, ...[...byTable.keys()].filter((t) => !(TABLE_ORDER as string[]).includes(t))];
  const out = order.flatMap((t) => (byTable.has(t) ? [`*${t}`, ...byTable.get(t)!, 'COMMIT'] : []));
  return out.length ? out.join('\n') + '\n' : '';
}

/**
 * The batch's undos. An undo two records share (a peer pair's rules, when both peers stop together)
 * runs once. The order between the groups is safe because every undo here reverses one
 * container's own change: only the release must follow the rules it counts, and the veths go last.
 * @example planUndoBatch([recA.undo, recB.undo])
 */
export function planUndoBatch(undoLists: UndoStep[][]): UndoBatchPlan {
  const seen = new Set<string>();
  const each: HostOp[] = [];
  const restores: HostOp[] = [];
  const setLines: string[] = [];
  const release: string[] = [];
  const links: string[] = [];
  for (const list of undoLists) {
    for (const { op } of [...list].reverse()) {
      const key = opKey(op);
      if (seen.has(key)) continue;
      seen.add(key);
      const link = linkOf(op);
      if (link !== null) links.push(link);
      else if (isRestore(op)) restores.push(op);
      else if (isSetDelete(op)) setLines.push(op.input);
      else if (op.kind === 'forwarding-release') release.push(op.tag);
      else each.push(op);
    }
  }
  // A veth's own settings go with it: resetting them first only costs the RTNL lock, which a
  // sysctl write on a device spins for while the kernel is busy tearing namespaces down.
  const onLink = (op: HostOp): boolean =>
    op.kind === 'sysctl' &&
    links.some((l) => op.key.startsWith(`net.ipv4.conf.${l}.`) || op.key.startsWith(`net.ipv6.conf.${l}.`));
  const kept = each.filter((op) => !onLink(op));
  const merged = mergeRestoreInputs(restores.map((op) => (op.kind === 'exec' ? op.input! : '')));
  const restore = merged
    ? {
        merged: { kind: 'exec', argv: ['iptables-restore', '-w', '--noflush'], input: merged } as HostOp,
        parts: restores,
      }
    : null;
  const sets: HostOp | null = setLines.length
    ? { kind: 'exec', argv: ipsetRestoreArgv('del'), input: setLines.join('') }
    : null;
  return { each: kept, restore, sets, release, links };
}
