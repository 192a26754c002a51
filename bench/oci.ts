/**
 * OCI benchmark: export and import of the demo's external-service image, next to `podman save`
 * and `podman load` of the same image, in one run. Prints a markdown table and writes it to
 * bench/results/oci.md. Uses a temp state root over the shared base cache; removes what it made.
 *   tsx bench/oci.ts [ROUNDS]   (default 3)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(REPO, 'dist', 'conductor.cjs');
const ROUNDS = Number(process.argv[2] ?? 3);
const TOP = mkdtempSync(path.join(os.tmpdir(), 'conductor-bench-oci-'));
const ENV = {
  ...process.env,
  CONDUCTOR_ROOT: path.join(TOP, 'root'),
  CONDUCTOR_CACHE: process.env.CONDUCTOR_CACHE ?? path.join(REPO, '.cache'),
  NO_COLOR: '1',
};
const IMG = 'cbench-oci-ext';
const TAG = `localhost/${IMG}:latest`;
const log = (s: string) => process.stderr.write(`[bench-oci] ${s}\n`);

function run(argv: string[], env: NodeJS.ProcessEnv = ENV): number {
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return performance.now() - t;
}
const conductor = (...a: string[]) => run(['node', CLI, ...a]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (f: string) => (statSync(f).size / 1e6).toFixed(0);

async function main(): Promise<void> {
  log(`building ${IMG} (conductorfiles/external-service.Conductorfile)`);
  conductor('build', '-q', IMG, path.join(REPO, 'conductorfiles', 'external-service.Conductorfile'), '--context', REPO);
  const cExp = path.join(TOP, 'c.tar');
  const pSave = path.join(TOP, 'p.tar');
  const first = conductor('export', IMG, '-o', cExp);
  run(['podman', 'load', '-q', '-i', cExp]); // the same image in podman's store
  const t = {
    exp: [] as number[],
    imp: [] as number[],
    impPodman: [] as number[],
    save: [] as number[],
    load: [] as number[],
  };
  for (let i = 0; i < ROUNDS; i++) {
    log(`round ${i + 1}/${ROUNDS}`);
    rmSync(cExp, { force: true });
    t.exp.push(conductor('export', IMG, '-o', cExp));
    rmSync(pSave, { force: true });
    t.save.push(run(['podman', 'save', '-q', '-o', pSave, TAG]));
    run(['podman', 'rmi', '-f', TAG]);
    t.load.push(run(['podman', 'load', '-q', '-i', pSave]));
    // A fresh name each round and no shared layers: remove the imports' layers again.
    t.imp.push(conductor('import', cExp, `${IMG}-imp`));
    conductor('rmi', `${IMG}-imp`);
    t.impPodman.push(conductor('import', pSave, `${IMG}-imp`));
    conductor('rmi', `${IMG}-imp`);
  }
  const rows = [
    ['conductor export (first, digests computed)', first, mb(cExp)],
    ['conductor export (digests cached)', median(t.exp), mb(cExp)],
    ['podman save', median(t.save), mb(pSave)],
    ['conductor import (of its export)', median(t.imp), mb(cExp)],
    ['conductor import (of the podman save)', median(t.impPodman), mb(pSave)],
    ['podman load (of the podman save)', median(t.load), mb(pSave)],
  ] as const;
  const md = [
    '## OCI: export / import of the external-service image ' +
      `(${new Date().toISOString().slice(0, 10)}, median of ${ROUNDS})`,
    '',
    '| operation | time | archive |',
    '|---|---:|---:|',
    ...rows.map(([k, v, s]) => `| ${k} | ${(v / 1000).toFixed(2)} s | ${s} MB |`),
    '',
    'Uncompressed layers on both sides (conductor export default; ' +
      'podman save docker-archive). Import checks every digest and every entry before extracting.',
    '',
  ].join('\n');
  mkdirSync(path.join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench', 'results', 'oci.md'), md);
  process.stdout.write(md);
}

try {
  await main();
} finally {
  spawnSync('podman', ['rmi', '-f', TAG], { stdio: 'ignore' });
  spawnSync('node', [CLI, 'rmi', IMG], { env: ENV, stdio: 'ignore' });
  spawnSync('node', [CLI, 'rmi', `${IMG}-imp`], { env: ENV, stdio: 'ignore' });
  rmSync(TOP, { recursive: true, force: true });
}
