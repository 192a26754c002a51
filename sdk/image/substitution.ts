/**
 * Dockerfile variable substitution, pure: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`,
 * `${VAR:+word}`, `${VAR+word}`, `${VAR:?message}`, `${VAR?message}`, quotes and backslash escapes,
 * with BuildKit's rules (frontend/dockerfile/shell/lex.go): single quotes are literal, double quotes
 * expand `$` and let `\` escape only `"`, `$` and `\`, an unquoted `\` makes the next character
 * literal, and quotes are removed. Never applied to RUN, CMD or ENTRYPOINT: the shell does that.
 *
 * Errors are plain `SubstitutionError`s without a location; the caller adds `file:line`.
 */

/** The value of a variable, or undefined when it is not set (which is not the same as empty). */
export type Lookup = (name: string) => string | undefined;

export class SubstitutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubstitutionError';
  }
}

const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
const DIGIT = /^[0-9]$/;
const isSpace = (ch: string): boolean => /^\s$/u.test(ch);

/** Words as Docker's lexer splits them: on unquoted blanks, after expansion; quoted text never splits. */
class Words {
  readonly done: string[] = [];
  private word = '';
  private inWord = false;

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord) this.flush();
    } else {
      this.addRaw(ch);
    }
  }

  addExpanded(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRaw(text: string): void {
    this.word += text;
    this.inWord = true;
  }

  private flush(): void {
    if (this.word !== '') this.done.push(this.word);
    this.word = '';
    this.inWord = false;
  }

  finish(): string[] {
    this.flush();
    return this.done;
  }
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;

  constructor(
    input: string,
    private readonly lookup: Lookup,
  ) {
    this.chars = Array.from(input);
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Up to `stop` (consumed) or the end of input when `stop` is undefined. */
  run(stop?: string): { text: string; words: string[] } {
    let text = '';
    const words = new Words();
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) break;
      if (stop !== undefined && ch === stop) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.dollar();
        text += value;
        words.addExpanded(value);
      } else if (ch === "'") {
        const value = this.singleQuoted();
        text += value;
        words.addRaw(value);
      } else if (ch === '"') {
        const value = this.doubleQuoted();
        text += value;
        words.addRaw(value);
      } else {
        this.next();
        if (ch === '\\') {
          const escaped = this.next();
          // A backslash at the very end escapes nothing and is dropped, as in Docker.
          if (escaped === undefined) break;
          text += escaped;
          words.addRaw(escaped);
        } else {
          text += ch;
          words.addChar(ch);
        }
      }
    }
    if (stop !== undefined) throw new SubstitutionError("missing '}' in substitution");
    return { text, words: words.finish() };
  }

  private singleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new SubstitutionError('unterminated single quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new SubstitutionError('unterminated double quote');
      if (ch === '"') {
        this.next();
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.next();
      if (ch === '\\') {
        const after = this.peek();
        if (after === undefined) continue;
        if (after === '"' || after === '$' || after === '\\') {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  private name(): string {
    const first = this.peek();
    if (first === undefined) return '';
    if (DIGIT.test(first)) {
      let digits = '';
      while (this.peek() !== undefined && DIGIT.test(this.peek()!)) digits += this.next();
      return digits;
    }
    if (SPECIAL_PARAMS.has(first)) return this.next()!;
    let name = '';
    while (this.peek() !== undefined && NAME_CHAR.test(this.peek()!)) name += this.next();
    return name;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      // A lone '$' (before a blank, a quote, the end...) is just a dollar sign.
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new SubstitutionError("missing '}' in substitution");
    if (first === '{' || first === '}' || first === ':') throw new SubstitutionError('bad substitution');
    const name = this.name();
    let op = this.next();
    if (op === undefined) throw new SubstitutionError("missing '}' in substitution");
    if (op === '}') return this.lookup(name) ?? '';
    const emptyIsUnset = op === ':';
    if (emptyIsUnset) op = this.next();
    if (op !== '-' && op !== '+' && op !== '?') {
      const shown = `${emptyIsUnset ? ':' : ''}${op ?? ''}`;
      throw new SubstitutionError(
        `unsupported modifier "${shown}" in \${${name}${shown}...} (use :-, -, :+, +, :? or ?)`,
      );
    }
    const word = this.run('}').text;
    const value = this.lookup(name);
    const unset = value === undefined || (emptyIsUnset && value === '');
    if (op === '-') return unset ? word : value!;
    if (op === '+') return unset ? '' : word;
    if (unset) {
      const why =
        word !== '' ? word : value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty';
      throw new SubstitutionError(`${name}: ${why}`);
    }
    return value!;
  }
}

/**
 * One word: variables expanded, quotes removed, blanks kept (ENV values, WORKDIR, USER, COPY paths...).
 *
 * @example
 * expandWord('${APP:-/srv}/bin', (n) => (n === 'APP' ? '' : undefined)); // '/srv/bin'
 * expandWord("'$HOME' \\$HOME \"$HOME\"", () => '/root');                // '$HOME $HOME /root'
 */
export function expandWord(input: string, lookup: Lookup): string {
  return new Lexer(input, lookup).run().text;
}

/**
 * Several words: expanded, then split on unquoted blanks (EXPOSE, where one variable may hold many ports).
 *
 * @example
 * expandWords('$PORTS "a b"', () => '80 443/udp'); // ['80', '443/udp', 'a b']
 */
export function expandWords(input: string, lookup: Lookup): string[] {
  return new Lexer(input, lookup).run().words;
}
