import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeTree } from '../../../sdk/state/remove-tree.ts';

const top = mkdtempSync(path.join(os.tmpdir(), 'conductor-remove-tree-'));

test('removes files, nested directories and symlinks, never what a link points at', () => {
  const outside = path.join(top, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'keep'), 'host data');
  const t = path.join(top, 'tree');
  mkdirSync(path.join(t, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(path.join(t, 'a', 'b', 'c', 'f'), 'x');
  writeFileSync(path.join(t, 'top'), 'y');
  symlinkSync(outside, path.join(t, 'a', 'to-outside'));
  symlinkSync(path.join(outside, 'keep'), path.join(t, 'link-file'));
  // A name that is not UTF-8 (a container may write any bytes but / and NUL).
  writeFileSync(Buffer.concat([Buffer.from(`${t}/`), Buffer.from([0xff, 0xfe, 0x41])]), 'z');
  removeTree(t);
  assert.not.ok(existsSync(t));
  assert.is(readFileSync(path.join(outside, 'keep'), 'utf8'), 'host data');
});

test('a tree deeper than a call stack would allow; a missing root is no error; a file root is removed', () => {
  const t = path.join(top, 'deep');
  let p = t;
  for (let i = 0; i < 1500; i++) p = path.join(p, 'd');
  mkdirSync(p, { recursive: true });
  writeFileSync(path.join(p, 'f'), '');
  removeTree(t);
  assert.not.ok(existsSync(t));
  removeTree(path.join(top, 'never-there'));
  const f = path.join(top, 'file');
  writeFileSync(f, '');
  removeTree(f);
  assert.not.ok(existsSync(f));
});

test.after(() => rmSync(top, { recursive: true, force: true }));
test.run();
