/**
 * Extended attributes of a tree, read and set with the attr package's getfattr/setfattr: Node has
 * no xattr API, and one `getfattr -R` per layer costs one process, not one per file.
 */
import { sh } from '../../host/sh.ts';
import { ConductorError } from '../../errors.ts';
import { existsSync } from 'node:fs';

const GETFATTR = '/usr/bin/getfattr';
const SETFATTR = '/usr/bin/setfattr';

function requireAttr(tool: string): void {
  if (!existsSync(tool))
    throw new ConductorError('MISSING_TOOL', `"${tool.split('/').pop()}" is not installed`, {
      hint: 'apt-get install attr',
    });
}

/** getfattr quotes a name's backslash, control and non-ASCII bytes as \ooo. */
function unquote(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && i + 3 < raw.length + 0 && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString())) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString(), 8));
      i += 3;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Every xattr under `root` (symlinks not followed), keyed by the path relative to root ('' = root).
 *
 * @example
 * (await treeXattrs('/x')).get('usr/bin/ping'); // { 'security.capability': <Buffer 01 00 00 02 ...> }
 */
export async function treeXattrs(root: string): Promise<Map<string, Record<string, Buffer>>> {
  requireAttr(GETFATTR);
  const r = await sh([GETFATTR, '-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '.'], { cwd: root, nothrow: true });
  if (r.exitCode !== 0 && r.stdout === '')
    throw new ConductorError('COMMAND_FAILED', `getfattr of "${root}" failed: ${r.stderr.trim().split('\n').pop()}`);
  const out = new Map<string, Record<string, Buffer>>();
  let cur: Record<string, Buffer> | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) {
      const rel = unquote(line.slice(8)).replace(/^\.\/?/, '');
      cur = {};
      out.set(rel, cur);
    } else if (cur && line.includes('=')) {
      const eq = line.indexOf('=');
      const v = line.slice(eq + 1);
      cur[line.slice(0, eq)] = v.startsWith('0x')
        ? Buffer.from(v.slice(2), 'hex')
        : Buffer.from(v.replace(/^"|"$/g, ''));
    }
  }
  return out;
}

/** Set one xattr on a path (not following a final symlink). */
export async function setXattr(file: string, name: string, value: string): Promise<void> {
  requireAttr(SETFATTR);
  await sh([SETFATTR, '-h', '-n', name, '-v', value, '--', file]);
}
