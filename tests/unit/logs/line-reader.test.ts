import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LineReader, MAX_LINE, tailOffset } from '../../../sdk/logs/line-reader.ts';
import { TimeCursor } from '../../../sdk/logs/times.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'conductor-lines-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function withFile(content: string | Buffer, fn: (fd: number, file: string) => void) {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, content);
  const fd = openSync(file, 'r');
  try {
    fn(fd, file);
  } finally {
    closeSync(fd);
  }
}

function all(r: LineReader): string[] {
  const out: string[] = [];
  for (let l = r.next(); l; l = r.next()) out.push(l.text);
  return out;
}

test('lines with their offsets; the unterminated tail is rest(), not a line', () => {
  withFile('a\nbb\n\nccc', (fd) => {
    const r = new LineReader(fd);
    assert.equal(r.next(), { offset: 0, text: 'a' });
    assert.equal(r.next(), { offset: 2, text: 'bb' });
    assert.equal(r.next(), { offset: 5, text: '' });
    assert.is(r.next(), null);
    assert.equal(r.rest(), { offset: 6, text: 'ccc' });
  });
});

test('a file that grows: next() picks up where it stopped (following)', () => {
  withFile('one\ntw', (fd, file) => {
    const r = new LineReader(fd);
    assert.equal(all(r), ['one']);
    appendFileSync(file, 'o\nthree\n');
    assert.equal(all(r), ['two', 'three']);
    assert.is(r.rest(), null);
  });
});

test('a line longer than MAX_LINE comes out in pieces, never whole', () => {
  withFile(`${'x'.repeat(MAX_LINE * 2 + 10)}\nend\n`, (fd) => {
    const got = all(new LineReader(fd));
    assert.equal(
      got.map((l) => l.length),
      [MAX_LINE, MAX_LINE, 10, 3],
    );
  });
});

test('tailOffset: the last N lines, a trailing newline not counted as a line, across chunk borders', () => {
  withFile('l1\nl2\nl3\nl4\n', (fd) => {
    assert.equal(all(new LineReader(fd, tailOffset(fd, 2))), ['l3', 'l4']);
    assert.equal(all(new LineReader(fd, tailOffset(fd, 10))), ['l1', 'l2', 'l3', 'l4']);
    assert.is(tailOffset(fd, 0), 12);
  });
  withFile('l1\nl2\npartial', (fd) => {
    const r = new LineReader(fd, tailOffset(fd, 2));
    assert.equal(all(r), ['l2']);
    assert.is(r.rest()?.text, 'partial');
  });
  const big = Array.from({ length: 20_000 }, (_, i) => `line${i}`).join('\n') + '\n'; // > 64 KiB
  withFile(big, (fd) =>
    assert.equal(all(new LineReader(fd, tailOffset(fd, 3))), ['line19997', 'line19998', 'line19999']),
  );
  withFile('', (fd) => assert.is(tailOffset(fd, 3), 0));
});

test('TimeCursor: the time of the last write at or before an offset; unknown without an index', () => {
  withFile('0 1000\n10 2000\n25 3000\n', (_, file) => {
    const c = new TimeCursor(file);
    assert.is(c.timeAt(0), 1000);
    assert.is(c.timeAt(9), 1000);
    assert.is(c.timeAt(10), 2000);
    assert.is(c.timeAt(24), 2000);
    assert.is(c.timeAt(100), 3000);
    c.close();
  });
  const none = new TimeCursor(path.join(dir, 'missing.times'));
  assert.is(none.timeAt(5), null);
  none.close();
});

test.run();
