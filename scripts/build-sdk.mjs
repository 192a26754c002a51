#!/usr/bin/env node
// Compiles the SDK for the package: sdk/**/*.ts → lib/**/*.js + .d.ts (tsconfig.build.json), from a
// clean lib/ so a deleted module never ships. Inside the checkout nothing needs lib/: scripts and
// tests import sdk/index.ts through tsx.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
rmSync(path.join(root, 'lib'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build-sdk: tsc -p tsconfig.build.json failed');
  process.exit(r.status ?? 1);
}
console.log(`build-sdk: lib/ (${Date.now() - t0} ms)`);
