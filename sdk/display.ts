/**
 * How conductor shows a command to a human (errors, `ps`, `--dry-run`): quoted like a shell, so
 * pasting it into `sh -c` runs exactly that argv. Pure; it never runs anything.
 */

// Words a shell reads as they are: no globbing, expansion, quoting or operators in them.
const PLAIN = /^[A-Za-z0-9_./:=,@%+-]+$/;
// In command position these would be syntax, not a command name.
const RESERVED = new Set([
  '!',
  '{',
  '}',
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'if',
  'in',
  'then',
  'until',
  'while',
  'function',
  'select',
  'time',
  '[[',
  ']]',
]);

function quoteWord(word: string, first: boolean): string {
  // A first word with "=" would be a variable assignment, not the command.
  if (PLAIN.test(word) && !(first && (word.includes('=') || RESERVED.has(word)))) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One argument as a shell needs it (not in command position). @example shellWord("a b") // "'a b'" */
export const shellWord = (word: string): string => quoteWord(word, false);

/**
 * The argv as one shell command line: plain words as they are, everything else single-quoted.
 *
 * @example
 * displayCommand(['ip', 'link', 'set', 'veth0', 'up']);   // 'ip link set veth0 up'
 * displayCommand(['sh', '-c', "echo 'hi' $HOME"]);        // `sh -c 'echo '\''hi'\'' $HOME'`
 */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a, i) => quoteWord(a, i === 0)).join(' ');
}
