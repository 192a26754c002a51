import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import type { BaseRef } from '../../../sdk/types.ts';
import { debootstrapArgs, SUPPORTED_BASES } from '../../../sdk/image/base-plan.ts';
import { UBUNTU_KEYRING } from '../../../sdk/image/base-plan.ts';
import { isConductorError } from '../../../sdk/errors.ts';

// Golden tests of the FROM/RUN/COPY subset through the real path (parseDockerfile → planBuild),
// in the shape the first builder used: each step's line, cache-key text and arguments.
type Instruction =
  | { kind: 'FROM'; line: number; text: string; base: BaseRef }
  | { kind: 'RUN'; line: number; text: string; argv?: string[]; shell?: string }
  | { kind: 'COPY'; line: number; text: string; sources: string[]; dest: string };

function parseConductorfile(source: string, fileName = 'Conductorfile'): Instruction[] {
  const file = parseDockerfile(source, fileName);
  const stage = planBuild(file).stages[0]!;
  if (stage.base.kind !== 'base') throw new Error('expected a debootstrap base');
  const out: Instruction[] = [{ kind: 'FROM', line: stage.line, text: stage.text, base: stage.base.base }];
  stage.steps.forEach((step, i) => {
    const n = file.stages[0]!.instructions[i]!;
    if (step.kind === 'RUN' && n.kind === 'RUN')
      out.push(
        n.argv
          ? { kind: 'RUN', line: step.line, text: step.text, argv: n.argv }
          : { kind: 'RUN', line: step.line, text: step.text, shell: n.shell! },
      );
    else if (step.kind === 'COPY')
      out.push({ kind: 'COPY', line: step.line, text: step.text, sources: step.sources, dest: step.dest });
  });
  return out;
}

/** The message of the PARSE_ERROR `source` raises. */
function parseError(source: string, fileName?: string): string {
  try {
    parseConductorfile(source, fileName);
  } catch (e) {
    assert.ok(isConductorError(e, 'PARSE_ERROR'), `expected PARSE_ERROR, got ${String(e)}`);
    return e.message;
  }
  return assert.unreachable('expected a parse error') as never;
}

const texts = (source: string): string[] => parseConductorfile(source).map((i) => i.text);

const REALISTIC = [
  '# A small web app on bookworm',
  'FROM debian:bookworm',
  '',
  '# tools first, so app changes keep this layer',
  'RUN apt-get update && \\',
  '    apt-get install -y --no-install-recommends curl ca-certificates',
  'COPY app/ package.json /opt/app/',
  'RUN ["useradd", "--system", "--home", "/opt/app", "app"]',
  'COPY ["config file.json", "/etc/app/config.json"]',
  'RUN echo "built" > /etc/app/stamp # a shell comment, kept',
  '',
].join('\n');

const REALISTIC_GOLDEN: Instruction[] = [
  { kind: 'FROM', line: 2, text: 'FROM debian:bookworm', base: { distro: 'debian', suite: 'bookworm' } },
  {
    kind: 'RUN',
    line: 5,
    text: 'RUN apt-get update &&     apt-get install -y --no-install-recommends curl ca-certificates',
    shell: 'apt-get update &&     apt-get install -y --no-install-recommends curl ca-certificates',
  },
  {
    kind: 'COPY',
    line: 7,
    text: 'COPY app/ package.json /opt/app/',
    sources: ['app/', 'package.json'],
    dest: '/opt/app/',
  },
  {
    kind: 'RUN',
    line: 8,
    text: 'RUN ["useradd","--system","--home","/opt/app","app"]',
    argv: ['useradd', '--system', '--home', '/opt/app', 'app'],
  },
  {
    kind: 'COPY',
    line: 9,
    text: 'COPY ["config file.json","/etc/app/config.json"]',
    sources: ['config file.json'],
    dest: '/etc/app/config.json',
  },
  {
    kind: 'RUN',
    line: 10,
    text: 'RUN echo "built" > /etc/app/stamp # a shell comment, kept',
    shell: 'echo "built" > /etc/app/stamp # a shell comment, kept',
  },
];

test('realistic file parses to the golden instructions', () => {
  assert.equal(parseConductorfile(REALISTIC), REALISTIC_GOLDEN);
});

test('cosmetic changes keep every text identical', () => {
  // BOM, CRLF, comments, blank lines, trailing spaces and tabs, lower-case keywords, extra blanks
  // between keyword and arguments, between COPY paths and inside JSON, a comment inside a continuation.
  const cosmetic = [
    '\uFEFF   # leading-space comment',
    'from    debian:bookworm   ',
    '',
    '\t',
    'Run apt-get update && \\   ',
    '# comment inside a continuation is skipped',
    '',
    '    apt-get install -y --no-install-recommends curl ca-certificates  \t',
    '# another',
    'copy   app/   package.json\t/opt/app/',
    'RUN [ "useradd" , "--system", "--home",   "/opt/app", "app" ]',
    '   COPY [ "config file.json",   "/etc/app/config.json" ]   ',
    '',
    'rUn    echo "built" > /etc/app/stamp # a shell comment, kept  ',
    '# trailing comment',
    '',
  ].join('\r\n');
  const parsed = parseConductorfile(cosmetic);
  assert.equal(
    parsed.map((i) => i.text),
    REALISTIC_GOLDEN.map((i) => i.text),
  );
  assert.equal(
    parsed.map((i) => i.line),
    [2, 5, 10, 11, 12, 14],
  );
  // Same data, not just same text.
  assert.equal(
    parsed.map(({ line: _line, ...rest }) => rest),
    REALISTIC_GOLDEN.map(({ line: _line, ...rest }) => rest),
  );
});

test('any real change to an instruction changes its text (and only its text)', () => {
  const base = texts(REALISTIC);
  const edits: Array<[from: string, to: string, index: number]> = [
    ['FROM debian:bookworm', 'FROM debian:trixie', 0],
    ['FROM debian:bookworm', 'FROM ubuntu:noble', 0],
    ['curl ca-certificates', 'curl  ca-certificates', 1],
    ['curl ca-certificates', 'wget ca-certificates', 1],
    ['apt-get update && \\', 'apt-get update ; \\', 1],
    ['COPY app/ package.json', 'COPY app package.json', 2],
    ['COPY app/ package.json /opt/app/', 'COPY app/ package.json /opt/', 2],
    ['COPY app/ package.json /opt/app/', 'COPY package.json app/ /opt/app/', 2],
    ['"--home", "/opt/app", "app"]', '"--home", "/opt/app", "app2"]', 3],
    ['RUN ["useradd", "--system", "--home", "/opt/app", "app"]', 'RUN useradd --system --home /opt/app app', 3],
    ['"config file.json"', '"config  file.json"', 4],
    ['"config file.json"', '"config", "file.json"', 4],
    ['echo "built"', "echo 'built'", 5],
    ['# a shell comment, kept', '', 5],
  ];
  for (const [from, to, index] of edits) {
    assert.ok(REALISTIC.includes(from), from);
    const changed = texts(REALISTIC.replace(from, to));
    base.forEach((text, i) => {
      if (i === index) assert.is.not(changed[i], text, `${from} -> ${to}`);
      else assert.is(changed[i], text, `${from} -> ${to} touched #${i}`);
    });
  }
});

test('exec form and shell form of the same words are different steps', () => {
  const [, exec] = texts('FROM debian:bookworm\nRUN ["echo", "hi"]');
  const [, shell] = texts('FROM debian:bookworm\nRUN echo hi');
  assert.is.not(exec, shell);
  const [, oneArg] = texts('FROM debian:bookworm\nRUN ["echo hi"]');
  assert.is.not(exec, oneArg);
  const [, plain] = texts('FROM debian:bookworm\nCOPY a b c');
  const [, json] = texts('FROM debian:bookworm\nCOPY ["a b", "c"]');
  assert.is.not(plain, json);
});

test('keywords are case-insensitive and normalised to upper case', () => {
  assert.equal(parseConductorfile('from ubuntu:jammy\nrun true\ncOpY a /a'), [
    { kind: 'FROM', line: 1, text: 'FROM ubuntu:jammy', base: { distro: 'ubuntu', suite: 'jammy' } },
    { kind: 'RUN', line: 2, text: 'RUN true', shell: 'true' },
    { kind: 'COPY', line: 3, text: 'COPY a /a', sources: ['a'], dest: '/a' },
  ]);
});

test('every supported base parses; SUPPORTED_BASES lists them', () => {
  assert.equal(SUPPORTED_BASES, {
    debian: ['bookworm', 'trixie', 'bullseye'],
    ubuntu: ['noble', 'jammy', 'focal'],
  });
  for (const distro of ['debian', 'ubuntu'] as const) {
    for (const suite of SUPPORTED_BASES[distro]) {
      const [from] = parseConductorfile(`FROM ${distro}:${suite}`);
      assert.equal(from, { kind: 'FROM', line: 1, text: `FROM ${distro}:${suite}`, base: { distro, suite } });
    }
  }
});

test('FROM only is a valid file', () => {
  assert.is(parseConductorfile('FROM debian:trixie\n').length, 1);
});

test('# is a comment only at line start (after optional whitespace)', () => {
  const [, run, copy] = parseConductorfile('FROM debian:bookworm\n  # skip\nRUN echo a#b # c\n\t#x\nCOPY a#1 /d#2');
  assert.equal(run, { kind: 'RUN', line: 3, text: 'RUN echo a#b # c', shell: 'echo a#b # c' });
  assert.equal(copy, { kind: 'COPY', line: 5, text: 'COPY a#1 /d#2', sources: ['a#1'], dest: '/d#2' });
});

test('continuations join like Docker: backslash removed, next line appended as is', () => {
  const src = 'FROM debian:bookworm\nRUN echo a\\\nb \\\n  c\nRUN x';
  assert.equal(parseConductorfile(src).slice(1), [
    { kind: 'RUN', line: 2, text: 'RUN echo ab   c', shell: 'echo ab   c' },
    { kind: 'RUN', line: 5, text: 'RUN x', shell: 'x' },
  ]);
});

test('comment and blank lines inside a continuation are skipped; line is where it starts', () => {
  const src = 'FROM debian:bookworm\n\nRUN set -e; \\\n  # not shell\n\n  echo one; \\\n  echo two\nRUN three';
  const parsed = parseConductorfile(src);
  assert.equal(parsed[1], {
    kind: 'RUN',
    line: 3,
    text: 'RUN set -e;   echo one;   echo two',
    shell: 'set -e;   echo one;   echo two',
  });
  assert.is(parsed[2]!.line, 8);
});

test('a continuation may span the keyword and the arguments, and run into end of file', () => {
  const parsed = parseConductorfile('FROM \\\n debian:bookworm\nRUN \\\n echo end \\');
  assert.equal(parsed, [
    { kind: 'FROM', line: 1, text: 'FROM debian:bookworm', base: { distro: 'debian', suite: 'bookworm' } },
    { kind: 'RUN', line: 3, text: 'RUN echo end', shell: 'echo end' },
  ]);
});

test('continued JSON exec form', () => {
  const [, run] = parseConductorfile('FROM debian:bookworm\nRUN ["apt-get", \\\n     "install", "-y", \\\n     "x"]');
  assert.equal(run, {
    kind: 'RUN',
    line: 2,
    text: 'RUN ["apt-get","install","-y","x"]',
    argv: ['apt-get', 'install', '-y', 'x'],
  });
});

test('CRLF, BOM and trailing whitespace are ignored', () => {
  const parsed = parseConductorfile('\uFEFFFROM debian:bookworm \r\nRUN echo hi\t \r\n');
  assert.equal(parsed, [
    { kind: 'FROM', line: 1, text: 'FROM debian:bookworm', base: { distro: 'debian', suite: 'bookworm' } },
    { kind: 'RUN', line: 2, text: 'RUN echo hi', shell: 'echo hi' },
  ]);
});

test('RUN exec form needs a JSON array of strings; otherwise it is shell form like Docker', () => {
  const run = (args: string): Instruction => parseConductorfile(`FROM debian:bookworm\nRUN ${args}`)[1]!;
  assert.equal(run('["apt-get", "install", "-y", "x"]'), {
    kind: 'RUN',
    line: 2,
    text: 'RUN ["apt-get","install","-y","x"]',
    argv: ['apt-get', 'install', '-y', 'x'],
  });
  assert.equal(run('["sh", "-c", "echo \\"q\\" \\u00e9"]'), {
    kind: 'RUN',
    line: 2,
    text: 'RUN ["sh","-c","echo \\"q\\" é"]',
    argv: ['sh', '-c', 'echo "q" é'],
  });
  for (const notJson of [
    "['single', 'quotes']",
    '[echo, hi]',
    '["a"] && b',
    '[ -f /x ] && echo y',
    '["unterminated"',
  ]) {
    assert.equal(run(notJson), { kind: 'RUN', line: 2, text: `RUN ${notJson}`, shell: notJson }, notJson);
  }
  // Valid JSON that is not all strings is an error in Docker, not a shell command.
  assert.is(
    parseError('FROM debian:bookworm\nRUN ["echo", 1]'),
    'Conductorfile:2: RUN: the JSON form must be an array of strings only, e.g. ["echo", "hi"]',
  );
});

test('COPY plain and JSON forms', () => {
  const copy = (args: string): Instruction => parseConductorfile(`FROM debian:bookworm\nCOPY ${args}`)[1]!;
  assert.equal(copy('a b c /dest/'), {
    kind: 'COPY',
    line: 2,
    text: 'COPY a b c /dest/',
    sources: ['a', 'b', 'c'],
    dest: '/dest/',
  });
  // A relative destination is resolved against WORKDIR ("/" here), keeping a trailing "/".
  assert.equal(copy('["a b", "dest"]'), {
    kind: 'COPY',
    line: 2,
    text: 'COPY ["a b","dest"]',
    sources: ['a b'],
    dest: '/dest',
  });
  // A plain-form path that merely looks like JSON is still written unambiguously.
  assert.equal(copy('["a","b"]'), { kind: 'COPY', line: 2, text: 'COPY a b', sources: ['a'], dest: '/b' });
  assert.equal(copy('[x] /d'), { kind: 'COPY', line: 2, text: 'COPY ["[x]","/d"]', sources: ['[x]'], dest: '/d' });
  assert.equal(copy('. /app'), { kind: 'COPY', line: 2, text: 'COPY . /app', sources: ['.'], dest: '/app' });
  assert.equal(copy('src/**/*.ts /app/'), {
    kind: 'COPY',
    line: 2,
    text: 'COPY src/**/*.ts /app/',
    sources: ['src/**/*.ts'],
    dest: '/app/',
  });
});

test('error: file is empty', () => {
  assert.is(parseError(''), 'Conductorfile: file is empty');
  assert.is(parseError('\uFEFF \r\n\t\n'), 'Conductorfile: file is empty');
});

test('error: no FROM instruction (comments only)', () => {
  assert.is(parseError('# just a comment\n\n  # another\n'), 'Conductorfile: no FROM instruction');
});

test('error: only ARG may come before the first FROM', () => {
  assert.is(
    parseError('# c\nRUN echo\nFROM debian:bookworm'),
    'Conductorfile:2: RUN before FROM (only ARG may come before the first FROM)',
  );
  assert.is(parseError('COPY a b'), 'Conductorfile:1: COPY before FROM (only ARG may come before the first FROM)');
});

test('error: unknown instruction (keyword shown upper-case)', () => {
  assert.is(parseError('FROM debian:bookworm\n\nFROBNICATE now'), 'Conductorfile:3: unknown instruction "FROBNICATE"');
  assert.is(parseError('FROM debian:bookworm\nfrobnicate'), 'Conductorfile:2: unknown instruction "FROBNICATE"');
  assert.is(parseError('FROM debian:bookworm\nRUN["echo"]'), 'Conductorfile:2: unknown instruction "RUN[\\"ECHO\\"]"');
  assert.is(parseError('frobnicate'), 'Conductorfile:1: unknown instruction "FROBNICATE"');
});

test('error: instructions out of scope are named as not supported', () => {
  assert.is(
    parseError('FROM debian:bookworm\nadd x y'),
    'Conductorfile:2: not supported: ADD (use COPY; conductor neither fetches URLs nor unpacks archives)',
  );
});

test('error: unsupported base', () => {
  const supported =
    'supported: debian:bookworm, debian:trixie, debian:bullseye, ' +
    'ubuntu:noble, ubuntu:jammy, ubuntu:focal, or a local image';
  assert.is(parseError('FROM alpine:3.19'), `Conductorfile:1: unsupported base "alpine:3.19" (${supported})`);
  for (const bad of ['debian', 'debian:buster', 'debian:latest', 'Debian:bookworm', 'ubuntu:bookworm']) {
    assert.is(
      parseError(`# x\nFROM ${bad}`),
      `Conductorfile:2: unsupported base ${JSON.stringify(bad)} (${supported})`,
      bad,
    );
  }
  // docker.io/library/debian:bookworm names a registry (issue 14): tests/unit/image/oci/reference.test.ts.
  assert.is(parseError('FROM'), 'Conductorfile:1: FROM needs a base image');
});

test('error: RUN needs a command', () => {
  assert.is(parseError('FROM debian:bookworm\n\n\n\nRUN'), 'Conductorfile:5: RUN needs a command');
  assert.is(parseError('FROM debian:bookworm\nRUN   \t'), 'Conductorfile:2: RUN needs a command');
  assert.is(parseError('FROM debian:bookworm\nRUN []'), 'Conductorfile:2: RUN needs a command');
  assert.is(parseError('FROM debian:bookworm\nRUN \\\n# only a comment'), 'Conductorfile:2: RUN needs a command');
});

test('error: COPY needs at least one source and a destination', () => {
  for (const args of ['', 'only-one', '["only-one"]', '[]']) {
    assert.is(
      parseError(`FROM debian:bookworm\nRUN x\n# c\nCOPY ${args}`),
      'Conductorfile:4: COPY needs at least one source and a destination',
      args,
    );
  }
  assert.is(parseError('FROM debian:bookworm\nCOPY ["a", ""]'), 'Conductorfile:2: COPY destination must not be empty');
  assert.is(parseError('FROM debian:bookworm\nCOPY ["", "b"]'), 'Conductorfile:2: COPY source must not be empty');
});

test('error: COPY flags Docker has and conductor does not', () => {
  assert.is(parseError('FROM debian:bookworm\nCOPY --link ["a", "b"]'), 'Conductorfile:2: not supported: COPY --link');
  // Only leading arguments are flags; a later "--x" is a path.
  assert.equal(parseConductorfile('FROM debian:bookworm\nCOPY a --x /b')[1], {
    kind: 'COPY',
    line: 2,
    text: 'COPY a --x /b',
    sources: ['a', '--x'],
    dest: '/b',
  });
});

test('error: COPY source outside the build context', () => {
  assert.is(
    parseError('FROM debian:bookworm\nRUN x\nCOPY ../etc/passwd /etc/'),
    'Conductorfile:3: COPY source "../etc/passwd" is outside the build context',
  );
  assert.is(
    parseError('FROM debian:bookworm\nCOPY ok /etc/passwd /x'),
    'Conductorfile:2: COPY source "/etc/passwd" is outside the build context',
  );
  assert.is(
    parseError('FROM debian:bookworm\nCOPY ["a/../../b", "/x"]'),
    'Conductorfile:2: COPY source "a/../../b" is outside the build context',
  );
  // The destination is inside the container and may be anything.
  assert.is(parseConductorfile('FROM debian:bookworm\nCOPY a ../../x')[1]!.kind, 'COPY');
});

test('errors name the given file; the first error in file order wins', () => {
  assert.is(
    parseError('FROM debian:sid', 'app/Conductorfile.dev'),
    'app/Conductorfile.dev:1: unsupported base "debian:sid" (supported: debian:bookworm, debian:trixie, ' +
      'debian:bullseye, ubuntu:noble, ubuntu:jammy, ubuntu:focal, or a local image)',
  );
  assert.is(parseError('', 'x/Conductorfile'), 'x/Conductorfile: file is empty');
  assert.is(parseError('FROM debian:bookworm\nRUN\nBOGUS'), 'Conductorfile:2: RUN needs a command');
});

test('debootstrapArgs: debian:bookworm with default and custom mirrors', () => {
  const base = { distro: 'debian', suite: 'bookworm' } as const;
  const noFiles = (): boolean => false;
  assert.equal(debootstrapArgs(base, '/cache/base/debian-bookworm', {}, noFiles), [
    'debootstrap',
    '--variant=minbase',
    'bookworm',
    '/cache/base/debian-bookworm',
    'http://deb.debian.org/debian',
  ]);
  const env = { CONDUCTOR_DEBIAN_MIRROR: 'http://mirror.local/debian', CONDUCTOR_UBUNTU_MIRROR: 'http://other/ubuntu' };
  assert.equal(
    debootstrapArgs(base, '/t', env, () => true),
    ['debootstrap', '--variant=minbase', 'bookworm', '/t', 'http://mirror.local/debian'],
  );
});

test('debootstrapArgs: ubuntu:jammy adds universe and the keyring only when present', () => {
  const base = { distro: 'ubuntu', suite: 'jammy' } as const;
  const env = { CONDUCTOR_UBUNTU_MIRROR: 'http://mirror.local/ubuntu', CONDUCTOR_DEBIAN_MIRROR: 'http://other/debian' };
  const seen: string[] = [];
  const withKeyring = (p: string): boolean => (seen.push(p), p === UBUNTU_KEYRING);
  assert.equal(debootstrapArgs(base, '/cache/base/ubuntu-jammy', env, withKeyring), [
    'debootstrap',
    '--variant=minbase',
    '--components=main,universe',
    '--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg',
    'jammy',
    '/cache/base/ubuntu-jammy',
    'http://mirror.local/ubuntu',
  ]);
  assert.equal(seen, ['/usr/share/keyrings/ubuntu-archive-keyring.gpg']);
  assert.equal(
    debootstrapArgs(base, '/t', {}, () => false),
    [
      'debootstrap',
      '--variant=minbase',
      '--components=main,universe',
      'jammy',
      '/t',
      'http://archive.ubuntu.com/ubuntu',
    ],
  );
});

test('debootstrapArgs: empty mirror variable falls back; unsupported base or empty target throws', () => {
  assert.is(
    debootstrapArgs({ distro: 'debian', suite: 'trixie' }, '/t', { CONDUCTOR_DEBIAN_MIRROR: '' }, () => false).at(-1),
    'http://deb.debian.org/debian',
  );
  assert.throws(
    () => debootstrapArgs({ distro: 'debian', suite: 'sid' }, '/t', {}, () => false),
    (e: unknown) => isConductorError(e, 'INVALID_ARGUMENT'),
  );
  assert.throws(
    () => debootstrapArgs({ distro: 'debian', suite: 'bookworm' }, '', {}, () => false),
    (e: unknown) => isConductorError(e, 'INTERNAL'),
  );
});

test.run();
