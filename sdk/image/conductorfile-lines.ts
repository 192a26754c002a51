/**
 * The Conductorfile lexer, pure: physical lines → logical instructions (continuations joined,
 * comments and blanks skipped), parser directives, and the word and flag splitting that Docker's
 * parser does before any variable is expanded.
 */
import { ConductorError } from '../errors.ts';

export interface LogicalLine {
  /** 1-based line where the instruction starts. */
  line: number;
  content: string;
}

export function parseError(fileName: string, line: number | null, message: string): ConductorError {
  return new ConductorError(
    'PARSE_ERROR',
    line === null ? `${fileName}: ${message}` : `${fileName}:${line}: ${message}`,
  );
}

const isSkippable = (raw: string): boolean => raw.trim() === '' || /^\s*#/.test(raw);

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;

/**
 * Parser directives (`# syntax=`, `# check=`, `# escape=`) are only read before the first blank,
 * comment or instruction. `syntax` and `check` pick BuildKit frontends and lint rules and mean
 * nothing here; `escape` would change how every line is read, so any escape other than the
 * default backslash is refused rather than misread.
 */
function checkDirectives(physical: string[], fileName: string): void {
  for (const [index, raw] of physical.entries()) {
    const m = DIRECTIVE.exec(raw.trim());
    if (!m) return;
    if (m[1]!.toLowerCase() === 'escape' && m[2] !== '\\') {
      throw parseError(
        fileName,
        index + 1,
        `not supported: escape directive ${JSON.stringify(m[2])} ` +
          '(conductor reads "\\" as the escape character; remove the line)',
      );
    }
  }
}

/**
 * Joins backslash continuations like Docker: the backslash (plus any whitespace after it) is
 * removed and the next line appended as is, so a RUN's text is exactly the shell command run.
 * Comment and blank lines inside a continuation are skipped.
 */
export function logicalLines(source: string, fileName: string): LogicalLine[] {
  const physical = source.replace(/^\uFEFF/, '').split('\n');
  checkDirectives(physical, fileName);
  const out: LogicalLine[] = [];
  let start: number | null = null;
  let buffer = '';
  for (const [index, line] of physical.entries()) {
    if (isSkippable(line)) continue;
    // trimEnd also drops the '\r' of CRLF files.
    const raw = start === null ? line.trim() : line.trimEnd();
    start ??= index + 1;
    if (raw.endsWith('\\')) {
      buffer += raw.slice(0, -1);
      continue;
    }
    out.push({ line: start, content: buffer + raw });
    start = null;
    buffer = '';
  }
  // A continuation running into the end of the file still ends the instruction (as in Docker).
  if (start !== null) out.push({ line: start, content: buffer });
  return out;
}

/**
 * The JSON (exec) form: a JSON array of strings, or null when `args` is not JSON at all (Docker
 * then reads the plain form). Valid JSON holding anything but strings is an error, as in Docker.
 */
export function jsonArray(args: string, fail: (message: string) => Error): string[] | null {
  if (!args.startsWith('[')) return null;
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  if (!value.every((v) => typeof v === 'string')) {
    throw fail('the JSON form must be an array of strings only, e.g. ["echo", "hi"]');
  }
  return value;
}

/**
 * Docker's parseWords: splits on blanks outside quotes, keeping quotes and backslashes for the
 * expansion step that removes them (so `A="x y"` is one word, `A=x y` two).
 */
export function splitWords(rest: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  // A quoted empty string ("") is still a word.
  let blankOk = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote === null && /\s/.test(ch)) {
      if (inWord && (blankOk || word !== '')) words.push(word);
      word = '';
      inWord = false;
      blankOk = false;
      continue;
    }
    inWord = true;
    if (quote === null && (ch === '"' || ch === "'")) {
      quote = ch;
      blankOk = true;
    } else if (quote !== null && ch === quote) {
      quote = null;
    }
    if (ch === '\\' && quote !== "'") {
      // A trailing backslash escapes nothing and is dropped.
      if (i + 1 === chars.length) continue;
      word += ch;
      i++;
      word += chars[i]!;
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOk || word !== '')) words.push(word);
  return words;
}

export interface Flags {
  /** `--name=value` → value; a bare `--name` → null. In the order written. */
  flags: Array<{ name: string; value: string | null }>;
  rest: string;
}

/**
 * Leading `--name[=value]` words, which Docker's parser takes as flags for every instruction
 * (so `CMD --help` is a flag, not a command). A lone `--` ends them.
 */
export function extractFlags(args: string): Flags {
  const flags: Flags['flags'] = [];
  let rest = args;
  for (;;) {
    const m = /^--(\S*)(?:\s+|$)/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    if (m[1] === '') break;
    const eq = m[1]!.indexOf('=');
    flags.push(eq < 0 ? { name: m[1]!, value: null } : { name: m[1]!.slice(0, eq), value: m[1]!.slice(eq + 1) });
  }
  return { flags, rest };
}
