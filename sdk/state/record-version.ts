/**
 * Container records across conductor versions: the current format (RECORD_VERSION) as is, older ones
 * upgraded on read (pure), anything else refused — a record written by a newer conductor may hold
 * undo steps this one cannot run, and guessing could leave host changes behind or undo the wrong ones.
 */
import { ConductorError } from '../errors.ts';
import { RECORD_VERSION, type ContainerRecord, type HostOp, type UndoStep } from '../types.ts';

/** An undo step of a version-1 record: `argv[0]` starting with `@` named an internal operation. */
interface LegacyUndo {
  argv: string[];
  input?: string;
  about?: string;
}

function legacyOp(u: LegacyUndo, where: string): HostOp {
  const [op, a, b, c, d] = u.argv;
  const bad = () =>
    new ConductorError(
      'UNSUPPORTED_RECORD',
      `${where} has an undo step "${u.argv.join(' ')}" this conductor cannot read`,
      {
        hint: 'undo it by hand, then remove the container directory',
      },
    );
  switch (op) {
    case '@sysctl':
      if (a === undefined || b === undefined) throw bad();
      return { kind: 'sysctl', key: a, value: b };
    case '@write':
      if (a === undefined) throw bad();
      return { kind: 'write-in-place', file: a, content: u.input ?? '' };
    case '@hosts':
      if ((a !== 'add' && a !== 'remove') || b === undefined || c === undefined || d === undefined) throw bad();
      return { kind: 'hosts', action: a, file: b, ip: c, name: d };
    case '@ip-forward':
      if (a === 'hold') return { kind: 'forwarding-hold' };
      if (a === 'on') return { kind: 'forwarding-on' };
      if (a === 'release' && b !== undefined) return { kind: 'forwarding-release', tag: b };
      throw bad();
    default:
      if (op === undefined || op.startsWith('@')) throw bad();
      return u.input === undefined ? { kind: 'exec', argv: u.argv } : { kind: 'exec', argv: u.argv, input: u.input };
  }
}

/**
 * One undo step as this conductor runs it: a current step as is, a version-1 one converted.
 * @example
 * upgradeUndo({ argv: ['@sysctl', 'net.ipv4.conf.cnd1.forwarding', '0'] }, 'x')
 * // { op: { kind: 'sysctl', ... }, about: ... }
 */
export function upgradeUndo(u: unknown, where: string): UndoStep {
  const o = u as Partial<UndoStep> & Partial<LegacyUndo>;
  if (o && typeof o === 'object' && o.op && typeof o.op === 'object') return { op: o.op, about: o.about ?? o.op.kind };
  if (o && typeof o === 'object' && Array.isArray(o.argv) && o.argv.every((x) => typeof x === 'string')) {
    const op = legacyOp(o as LegacyUndo, where);
    return { op, about: o.about ?? `undo ${o.argv.join(' ')}` };
  }
  throw new ConductorError('UNSUPPORTED_RECORD', `${where} has an undo step this conductor cannot read`, {
    hint: 'undo it by hand, then remove the container directory',
  });
}

/**
 * A record read from disk, in the current format. Version 1 and unversioned records are upgraded
 * (their undo steps converted); any other version is refused with UNSUPPORTED_RECORD.
 * @example upgradeRecord(JSON.parse(text), 'container "web"')
 */
export function upgradeRecord(raw: unknown, where: string): ContainerRecord {
  const rec = raw as ContainerRecord & { version?: unknown; undo?: unknown };
  const version = rec?.version;
  if (version === RECORD_VERSION) return rec;
  if (version !== undefined && version !== 1) {
    throw new ConductorError(
      'UNSUPPORTED_RECORD',
      `${where} has a record of version ${JSON.stringify(version)}; ` +
        `this conductor reads versions 1 to ${RECORD_VERSION}`,
      {
        hint: 'use the conductor that created it (a newer one?), or stop it with that one',
      },
    );
  }
  const undo = Array.isArray(rec.undo) ? rec.undo.map((u) => upgradeUndo(u, where)) : [];
  return { ...rec, version: RECORD_VERSION, undo };
}
