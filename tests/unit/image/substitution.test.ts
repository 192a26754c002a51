import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandWord, expandWords, SubstitutionError } from '../../../sdk/image/substitution.ts';

const VARS: Record<string, string> = { HOME: '/root', EMPTY: '', APP: 'web', PORTS: '80  443/udp', é: 'accent' };
const lookup = (name: string): string | undefined => VARS[name];
const w = (s: string): string => expandWord(s, lookup);

function error(s: string): string {
  try {
    expandWord(s, lookup);
  } catch (e) {
    assert.instance(e, SubstitutionError);
    return (e as Error).message;
  }
  return assert.unreachable(`expected ${s} to fail`) as never;
}

test('$VAR and ${VAR}; unset and empty both expand to nothing', () => {
  assert.is(w('$HOME/bin'), '/root/bin');
  assert.is(w('${HOME}/bin'), '/root/bin');
  assert.is(w('${APP}_x'), 'web_x');
  // Without braces the name runs to the first non-name character.
  assert.is(w('$APP_x'), '');
  assert.is(w('a${NOPE}b$NOPE'), 'ab');
  assert.is(w('[$EMPTY]'), '[]');
  assert.is(w('$é'), 'accent');
});

test('a lone $ stays; special parameters and positional ones expand to nothing (as in Docker)', () => {
  assert.is(w('cost: $'), 'cost: $');
  assert.is(w('$ x'), '$ x');
  assert.is(w('a$/b'), 'a$/b');
  assert.is(w('$1$$x'), 'x');
});

test('${VAR:-default} and ${VAR-default}: colon treats empty as unset', () => {
  assert.is(w('${NOPE:-/srv}'), '/srv');
  assert.is(w('${EMPTY:-/srv}'), '/srv');
  assert.is(w('${HOME:-/srv}'), '/root');
  assert.is(w('${NOPE-/srv}'), '/srv');
  assert.is(w('${EMPTY-/srv}'), '');
  // The word is itself expanded, and may nest.
  assert.is(w('${NOPE:-$HOME/x}'), '/root/x');
  assert.is(w('${NOPE:-${ALSO:-deep}}'), 'deep');
  assert.is(w('${NOPE:-}'), '');
});

test('${VAR:+alt} and ${VAR+alt}', () => {
  assert.is(w('${HOME:+set}'), 'set');
  assert.is(w('${EMPTY:+set}'), '');
  assert.is(w('${NOPE:+set}'), '');
  assert.is(w('${EMPTY+set}'), 'set');
  assert.is(w('${NOPE+set}'), '');
  assert.is(w('${APP:+--name=$APP}'), '--name=web');
});

test('${VAR:?message} and ${VAR?message} fail when unset (or empty, with the colon)', () => {
  assert.is(w('${HOME:?need home}'), '/root');
  assert.is(error('${NOPE:?set NOPE with --build-arg}'), 'NOPE: set NOPE with --build-arg');
  assert.is(error('${NOPE?}'), 'NOPE: is not allowed to be unset');
  assert.is(error('${EMPTY:?}'), 'EMPTY: is not allowed to be empty');
  assert.is(w('${EMPTY?}'), '');
});

test('escapes: \\$ is a literal dollar; an unquoted backslash makes any character literal', () => {
  assert.is(w('\\$HOME'), '$HOME');
  assert.is(w('\\${HOME}'), '${HOME}');
  assert.is(w('a\\ b'), 'a b');
  assert.is(w('\\\\$HOME'), '\\/root');
  assert.is(w('\\"quoted\\"'), '"quoted"');
  // A backslash at the very end escapes nothing and is dropped.
  assert.is(w('end\\'), 'end');
  assert.is(w('${NOPE:-a\\}b}'), 'a}b');
});

test('single quotes are literal; double quotes expand and escape only " $ \\', () => {
  assert.is(w("'$HOME \\n'"), '$HOME \\n');
  assert.is(w('"$HOME dir"'), '/root dir');
  assert.is(w('"\\$HOME \\" \\\\ \\n"'), '$HOME " \\ \\n');
  assert.is(w(`"it's"`), "it's");
  assert.is(w(`'say "hi"'`), 'say "hi"');
  assert.is(w('a"b c"d'), 'ab cd');
  assert.is(w('""'), '');
});

test('expandWords splits on unquoted blanks after expansion; quoted text never splits', () => {
  assert.equal(expandWords('$PORTS 8080', lookup), ['80', '443/udp', '8080']);
  assert.equal(expandWords('"$PORTS" x', lookup), ['80  443/udp', 'x']);
  assert.equal(expandWords("  a\\ b  'c d'  ", lookup), ['a b', 'c d']);
  assert.equal(expandWords('$NOPE', lookup), []);
  assert.equal(expandWords('""', lookup), []);
});

test('errors: bad or unterminated substitutions and quotes', () => {
  assert.is(error('${HOME'), "missing '}' in substitution");
  assert.is(error('${'), "missing '}' in substitution");
  assert.is(error('${NOPE:-abc'), "missing '}' in substitution");
  assert.is(error('${}'), 'bad substitution');
  assert.is(error('${:-x}'), 'bad substitution');
  assert.is(error('${{x}}'), 'bad substitution');
  assert.is(error('${HOME#/}'), 'unsupported modifier "#" in ${HOME#...} (use :-, -, :+, +, :? or ?)');
  assert.is(error('${HOME:x}'), 'unsupported modifier ":x" in ${HOME:x...} (use :-, -, :+, +, :? or ?)');
  assert.is(error("'open"), 'unterminated single quote');
  assert.is(error('"open'), 'unterminated double quote');
});

test.run();
