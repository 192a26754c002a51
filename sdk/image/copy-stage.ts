/**
 * COPY, host side: expand the sources inside the build context, refuse anything that leaves it,
 * and stage exactly what will be copied (symlinks kept as symlinks) so it can be hashed for the
 * layer cache and streamed into the build container.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { checkSourceInContext } from './copy-rules.ts';
import { ConductorError } from '../errors.ts';

export interface StagedCopy {
  dir: string;
  /** Top-level names in dir, in order: what is streamed. */
  entries: string[];
  /** 'file': one file copied to exactly dest; 'into': entries extracted into the dest directory. */
  mode: 'file' | 'into';
}

const MAGIC = /[*?[\]{}]/;

/** `.conductorignore` patterns (globby syntax), comments and blanks dropped. */
export function readIgnore(context: string): string[] {
  const f = path.join(context, '.conductorignore');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function insideContext(realContext: string, abs: string): boolean {
  const r = realpathSync(abs);
  return r === realContext || r.startsWith(realContext + path.sep);
}

export async function stageCopy(
  context: string,
  sources: string[],
  dest: string,
  where: { file: string; line: number },
  stageDir: string,
): Promise<StagedCopy> {
  const ignore = readIgnore(context);
  const realContext = realpathSync(context);
  const at = `${where.file}:${where.line}`;
  const { isIgnored } = await ignoredMatcher(context, ignore);
  const matched: string[] = [];
  for (const raw of sources) {
    const rel = checkSourceInContext(context, raw, where.file, where.line);
    // globby costs ~90 ms to load: only for wildcards (and ignore patterns, below).
    const found = MAGIC.test(rel)
      ? await (
          await import('globby')
        ).globby(rel, {
          cwd: context,
          dot: true,
          onlyFiles: false,
          ignore,
          followSymbolicLinks: false,
          expandDirectories: false,
        })
      : existsSync(path.join(context, rel)) || isLink(path.join(context, rel))
        ? [rel]
        : [];
    if (found.length === 0) {
      throw new ConductorError(
        'PARSE_ERROR',
        `${at}: COPY source "${raw}" not found in the build context "${context}"`,
      );
    }
    for (const f of found.sort()) {
      const abs = path.join(context, f);
      if (isIgnored(f)) {
        throw new ConductorError('PARSE_ERROR', `${at}: COPY source "${f}" is excluded by .conductorignore`);
      }
      if (!existsSync(abs) || !insideContext(realContext, abs)) {
        throw new ConductorError('PARSE_ERROR', `${at}: COPY source "${f}" resolves outside the build context`);
      }
      matched.push(f);
    }
  }
  mkdirSync(stageDir, { recursive: true });
  const single =
    matched.length === 1 && !lstatSync(path.join(context, matched[0]!)).isDirectory() && !dest.endsWith('/');
  const entries = new Set<string>();
  for (const f of matched) {
    const abs = path.join(context, f);
    const filter = (src: string) => !isIgnored(path.relative(context, src));
    if (lstatSync(abs).isDirectory()) {
      // Docker copies a directory's contents, not the directory itself.
      cpSync(abs, stageDir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, filter, force: true });
      for (const n of readdirSync(stageDir)) entries.add(n);
    } else {
      const name = path.basename(f);
      cpSync(abs, path.join(stageDir, name), { verbatimSymlinks: true, preserveTimestamps: true, force: true });
      entries.add(name);
    }
  }
  return { dir: stageDir, entries: [...entries].sort(), mode: single ? 'file' : 'into' };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A matcher for .conductorignore patterns, relative to the context. */
async function ignoredMatcher(context: string, patterns: string[]): Promise<{ isIgnored: (rel: string) => boolean }> {
  if (patterns.length === 0) return { isIgnored: () => false };
  const { globby } = await import('globby');
  const ignored = new Set(
    await globby(patterns, { cwd: context, dot: true, onlyFiles: false, followSymbolicLinks: false }),
  );
  return {
    isIgnored: (rel) => {
      if (ignored.has(rel)) return true;
      // A path under an ignored directory is ignored too.
      for (let p = path.dirname(rel); p !== '.' && p !== ''; p = path.dirname(p)) if (ignored.has(p)) return true;
      return false;
    },
  };
}
