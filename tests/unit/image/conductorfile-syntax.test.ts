import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile, type InstructionNode } from '../../../sdk/image/conductorfile-syntax.ts';
import { splitWords, extractFlags } from '../../../sdk/image/conductorfile-lines.ts';
import { isConductorError } from '../../../sdk/errors.ts';

const F = 'FROM debian:bookworm\n';
const node = (line: string): InstructionNode => parseDockerfile(`${F}${line}`).stages[0]!.instructions[0]!;

function failure(source: string, fileName?: string): string {
  try {
    parseDockerfile(source, fileName);
  } catch (e) {
    assert.ok(isConductorError(e, 'PARSE_ERROR'), `expected PARSE_ERROR, got ${String(e)}`);
    return (e as Error).message;
  }
  return assert.unreachable('expected a parse error') as never;
}

test('splitWords: blanks outside quotes split; quotes and backslashes are kept for expansion', () => {
  assert.equal(splitWords('A=1  B="v w" C=\'x y\' D=a\\ b'), ['A=1', 'B="v w"', "C='x y'", 'D=a\\ b']);
  assert.equal(splitWords('E="say \\"hi\\"" F=""'), ['E="say \\"hi\\""', 'F=""']);
  assert.equal(splitWords('""'), ['""']);
  assert.equal(splitWords('  '), []);
  assert.equal(splitWords('end\\'), ['end']);
});

test('extractFlags: leading --name[=value] words; a lone -- ends them; later ones are arguments', () => {
  assert.equal(extractFlags('--from=build --chown=a:b src dst'), {
    flags: [
      { name: 'from', value: 'build' },
      { name: 'chown', value: 'a:b' },
    ],
    rest: 'src dst',
  });
  assert.equal(extractFlags('--link a'), { flags: [{ name: 'link', value: null }], rest: 'a' });
  assert.equal(extractFlags('-- --not-a-flag x'), { flags: [], rest: '--not-a-flag x' });
  assert.equal(extractFlags('a --x b'), { flags: [], rest: 'a --x b' });
});

test('ARG before and after FROM; multiple names; defaults raw', () => {
  const file = parseDockerfile('ARG A=1 B\nARG C="x y"\nFROM debian:$A\nARG D=$A');
  assert.equal(file.metaArgs, [
    { kind: 'ARG', line: 1, args: [{ key: 'A', value: '1' }, { key: 'B' }] },
    { kind: 'ARG', line: 2, args: [{ key: 'C', value: '"x y"' }] },
  ]);
  assert.equal(file.stages[0]!.image, 'debian:$A');
  assert.equal(file.stages[0]!.instructions, [{ kind: 'ARG', line: 4, args: [{ key: 'D', value: '$A' }] }]);
});

test('ENV and LABEL: name=value words, or the legacy "name rest of line"', () => {
  assert.equal(node('ENV A=1 B="v w"'), {
    kind: 'ENV',
    line: 2,
    pairs: [
      { key: 'A', value: '1' },
      { key: 'B', value: '"v w"' },
    ],
    legacy: false,
  });
  assert.equal(node('ENV PATH /opt/bin:$PATH'), {
    kind: 'ENV',
    line: 2,
    pairs: [{ key: 'PATH', value: '/opt/bin:$PATH' }],
    legacy: true,
  });
  assert.equal(node('ENV MSG  hello   world'), {
    kind: 'ENV',
    line: 2,
    pairs: [{ key: 'MSG', value: 'hello   world' }],
    legacy: true,
  });
  assert.equal(node('LABEL "a b"=c d='), {
    kind: 'LABEL',
    line: 2,
    pairs: [
      { key: '"a b"', value: 'c' },
      { key: 'd', value: '' },
    ],
    legacy: false,
  });
});

test('RUN, CMD, ENTRYPOINT: exec form when JSON, shell form otherwise', () => {
  assert.equal(node('CMD ["a", "b c"]'), { kind: 'CMD', line: 2, argv: ['a', 'b c'] });
  assert.equal(node('CMD a "b c"'), { kind: 'CMD', line: 2, shell: 'a "b c"' });
  assert.equal(node('CMD []'), { kind: 'CMD', line: 2, argv: [] });
  assert.equal(node('ENTRYPOINT ["x"]'), { kind: 'ENTRYPOINT', line: 2, argv: ['x'] });
  assert.equal(node('ENTRYPOINT [x]'), { kind: 'ENTRYPOINT', line: 2, shell: '[x]' });
  assert.equal(node('RUN echo $HOME'), { kind: 'RUN', line: 2, shell: 'echo $HOME' });
});

test('SHELL, WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME', () => {
  assert.equal(node('SHELL ["/bin/bash", "-c"]'), { kind: 'SHELL', line: 2, argv: ['/bin/bash', '-c'] });
  assert.equal(node('WORKDIR /my app'), { kind: 'WORKDIR', line: 2, path: '/my app' });
  assert.equal(node('USER app:staff'), { kind: 'USER', line: 2, user: 'app:staff' });
  assert.equal(node('STOPSIGNAL SIGINT'), { kind: 'STOPSIGNAL', line: 2, signal: 'SIGINT' });
  assert.equal(node('EXPOSE 80  443/tcp\t$P'), { kind: 'EXPOSE', line: 2, ports: ['80', '443/tcp', '$P'] });
  assert.equal(node('VOLUME /a /b'), { kind: 'VOLUME', line: 2, paths: ['/a', '/b'] });
  assert.equal(node('VOLUME ["/a b"]'), { kind: 'VOLUME', line: 2, paths: ['/a b'] });
});

test('COPY: --from and --chown flags, plain and JSON paths', () => {
  assert.equal(node('COPY --from=build --chown=1000:1000 /out /app/'), {
    kind: 'COPY',
    line: 2,
    paths: ['/out', '/app/'],
    json: false,
    from: 'build',
    chown: '1000:1000',
  });
  assert.equal(node('COPY ["a b", "/c"]'), { kind: 'COPY', line: 2, paths: ['a b', '/c'], json: true });
});

test('FROM: image, AS name (any case, lower-cased), stages in order', () => {
  const file = parseDockerfile('FROM debian:bookworm AS Build\nRUN a\nfrom build as final\nCMD ["x"]');
  assert.equal(
    file.stages.map(({ line, image, name }) => ({ line, image, name })),
    [
      { line: 1, image: 'debian:bookworm', name: 'build' },
      { line: 3, image: 'build', name: 'final' },
    ],
  );
  assert.equal(
    file.stages.map((s) => s.instructions.length),
    [1, 1],
  );
});

test('parser directives: syntax and check are ignored; only the default escape is accepted', () => {
  assert.is(
    parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=\\\nFROM debian:bookworm').stages.length,
    1,
  );
  assert.is(
    failure('# escape=`\nFROM debian:bookworm'),
    'Conductorfile:1: not supported: escape directive "`" (conductor reads ' +
      '"\\" as the escape character; remove the line)',
  );
  // After the first other line it is only a comment.
  assert.is(parseDockerfile('FROM debian:bookworm\n# escape=`').stages.length, 1);
});

test('errors: every malformed instruction names file and line', () => {
  const cases: Array<[string, string]> = [
    ['', 'Conductorfile: file is empty'],
    ['ARG A', 'Conductorfile: no FROM instruction'],
    ['ENV A=1\nFROM debian:bookworm', 'Conductorfile:1: ENV before FROM (only ARG may come before the first FROM)'],
    ['FROM', 'Conductorfile:1: FROM needs a base image'],
    ['FROM a b', 'Conductorfile:1: FROM takes an image and an optional stage name: FROM a [AS name]'],
    ['FROM a AS b c', 'Conductorfile:1: FROM takes an image and an optional stage name: FROM a [AS name]'],
    [
      'FROM a AS 1st',
      'Conductorfile:1: invalid stage name "1st" (start with a letter; then letters, digits, "-", "_", ".")',
    ],
    [
      'FROM a AS b/c',
      'Conductorfile:1: invalid stage name "b/c" (start with a letter; then letters, digits, "-", "_", ".")',
    ],
    ['FROM a AS x\nFROM b AS X', 'Conductorfile:2: stage name "x" is already used on line 1'],
    ['FROM --platform=linux/arm64 debian:bookworm', 'Conductorfile:1: not supported: FROM --platform'],
    [`${F}ARG`, 'Conductorfile:2: ARG needs a name, e.g. ARG VERSION or ARG VERSION=1.0'],
    [`${F}ARG =1`, 'Conductorfile:2: ARG names must not be empty'],
    [`${F}ENV`, 'Conductorfile:2: ENV needs NAME=VALUE'],
    [`${F}ENV ONLY`, 'Conductorfile:2: ENV needs a value: ENV ONLY=VALUE'],
    [`${F}ENV A=1 B`, 'Conductorfile:2: ENV "B" has no "=" (write NAME=VALUE; quote values with blanks)'],
    [`${F}ENV A=1 =2`, 'Conductorfile:2: ENV names must not be empty'],
    [`${F}LABEL`, 'Conductorfile:2: LABEL needs NAME=VALUE'],
    [`${F}CMD`, 'Conductorfile:2: CMD needs a command (write CMD [] to clear it)'],
    [`${F}ENTRYPOINT`, 'Conductorfile:2: ENTRYPOINT needs a command (write ENTRYPOINT [] to clear it)'],
    [`${F}CMD ["a", {}]`, 'Conductorfile:2: CMD: the JSON form must be an array of strings only, e.g. ["echo", "hi"]'],
    [`${F}CMD --help`, 'Conductorfile:2: unknown flag "--help" for CMD (CMD takes no flags)'],
    [`${F}SHELL /bin/bash -c`, 'Conductorfile:2: SHELL needs the JSON form, e.g. SHELL ["/bin/bash", "-c"]'],
    [`${F}SHELL []`, 'Conductorfile:2: SHELL needs at least the shell, e.g. SHELL ["/bin/bash", "-c"]'],
    [`${F}SHELL`, 'Conductorfile:2: SHELL needs the JSON form, e.g. SHELL ["/bin/bash", "-c"]'],
    [`${F}WORKDIR`, 'Conductorfile:2: WORKDIR needs a directory'],
    [`${F}USER`, 'Conductorfile:2: USER needs a user: USER name|uid[:group|gid]'],
    [`${F}STOPSIGNAL`, 'Conductorfile:2: STOPSIGNAL needs a signal, e.g. STOPSIGNAL SIGINT'],
    [`${F}EXPOSE`, 'Conductorfile:2: EXPOSE needs a port, e.g. EXPOSE 8080 or EXPOSE 53/udp'],
    [`${F}VOLUME`, 'Conductorfile:2: VOLUME needs a path, e.g. VOLUME /data'],
    [`${F}VOLUME []`, 'Conductorfile:2: VOLUME needs a path, e.g. VOLUME /data'],
    [`${F}COPY a`, 'Conductorfile:2: COPY needs at least one source and a destination'],
    [`${F}COPY --chmod=644 a b`, 'Conductorfile:2: not supported: COPY --chmod'],
    [`${F}COPY --parents a b`, 'Conductorfile:2: not supported: COPY --parents'],
    [`${F}COPY --frm=x a b`, 'Conductorfile:2: unknown flag "--frm" for COPY (COPY takes --from and --chown)'],
    [`${F}COPY --from a b`, 'Conductorfile:2: COPY --from needs a value, e.g. --from=...'],
    [`${F}COPY --from= a b`, 'Conductorfile:2: COPY --from needs a value, e.g. --from=...'],
    [`${F}COPY --from=a --from=b a b`, 'Conductorfile:2: COPY --from given twice'],
    [`${F}RUN --mount make`, 'Conductorfile:2: RUN --mount needs a value, e.g. --mount=...'],
    [`${F}RUN --mnt=type=cache make`, 'Conductorfile:2: unknown flag "--mnt" for RUN (RUN takes --mount)'],
    [`${F}RUN --network=none make`, 'Conductorfile:2: not supported: RUN --network'],
    [
      `${F}ADD https://example.com/x /x`,
      'Conductorfile:2: not supported: ADD (use COPY; conductor neither fetches URLs nor unpacks archives)',
    ],
    [`${F}ONBUILD RUN x`, 'Conductorfile:2: not supported: ONBUILD'],
    [
      `${F}MAINTAINER me`,
      'Conductorfile:2: not supported: MAINTAINER (deprecated in Docker too; use LABEL maintainer="...")',
    ],
    [`${F}\nFROBNICATE`, 'Conductorfile:3: unknown instruction "FROBNICATE"'],
  ];
  for (const [source, message] of cases) assert.is(failure(source), message, source);
  assert.is(
    failure(`${F}CMD`, 'web/Conductorfile'),
    'web/Conductorfile:2: CMD needs a command (write CMD [] to clear it)',
  );
});

test('RUN --mount: each flag one raw spec, in order, for the shell and the JSON form', () => {
  const f = parseDockerfile(
    `${F}RUN --mount=type=cache,target=/a --mount=type=cache,target=/b make\n` +
      'RUN --mount=type=cache,target=$HOME/.c ["make", "-j2"]\n',
  );
  assert.equal(f.stages[0]!.instructions, [
    { kind: 'RUN', line: 2, shell: 'make', mounts: ['type=cache,target=/a', 'type=cache,target=/b'] },
    { kind: 'RUN', line: 3, argv: ['make', '-j2'], mounts: ['type=cache,target=$HOME/.c'] },
  ]);
});

test.run();
