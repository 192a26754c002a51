// The compiled-filter cache (sdk/security/seccomp/filter.ts): sha256-named filters, found through
// slot files that are trusted only for the exact text they hold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePaths } from '../../../sdk/config.ts';
import { seccompFilter } from '../../../sdk/security/seccomp/filter.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'conductor-seccomp-cache-'));
const paths = resolvePaths(path.join(dir, 'root'), { CONDUCTOR_CACHE: path.join(dir, 'cache') });
const SEC = { privileged: false, capAdd: [], capDrop: [] };
const cacheDir = path.join(dir, 'cache', 'seccomp');
const slotFile = () =>
  path.join(
    cacheDir,
    readdirSync(cacheDir).find((f) => f.startsWith('slot-'))!,
  );

test('first start: the filter under its sha256, and a slot naming it with the text it stands for', async () => {
  const f = await seccompFilter(paths, SEC);
  assert.match(path.basename(f!), /^[0-9a-f]{64}\.bpf$/);
  const slot = readFileSync(slotFile(), 'utf8');
  assert.is(slot.slice(0, 64), path.basename(f!, '.bpf'));
  assert.match(slot.slice(65), /\n/, 'the compiler id, then the planned rules');
  assert.is(await seccompFilter(paths, SEC), f, 'the next start finds the same file');
});

test('a slot is followed only when its text is exactly this start’s', async () => {
  const real = (await seccompFilter(paths, SEC))!;
  const slot = slotFile();
  const text = readFileSync(slot, 'utf8').slice(65);
  // Another cached filter (say, a weaker one) that a slot could point at.
  const other = '0'.repeat(64);
  copyFileSync(real, path.join(cacheDir, `${other}.bpf`));
  writeFileSync(slot, `${other}\n${text}`);
  assert.is(await seccompFilter(paths, SEC), path.join(cacheDir, `${other}.bpf`), 'its own text: the slot is used');
  writeFileSync(slot, `${other}\n${text.replace(/\n/, '\nX')}`);
  assert.is(await seccompFilter(paths, SEC), real, 'a different text (a collision): the sha256 path');
  assert.is(readFileSync(slot, 'utf8'), `${path.basename(real, '.bpf')}\n${text}`, 'and the slot is rewritten');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
