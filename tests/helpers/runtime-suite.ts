// The shared setup of the runtime-*.test.ts files: one temp state root with a small image over the
// cached base, the CLI built, and the probes those tests use on containers of that root.
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { buildCli, makeFixture } from './runtime-fixture.ts';
import { mountLinesMentioning } from './temp-root.ts';
import { statePaths } from './state-paths.ts';
import { run, type RunOptions } from '../../sdk/index.ts';
import { cgroupId, isAlive, refOf, type ContainerRecord } from './internals.ts';

export async function runtimeSuite(prefix: string) {
  const f = await makeFixture(prefix);
  const root = f.root;
  const paths = statePaths(root);
  buildCli();
  test.after(async () => {
    await f.cleanup();
  });
  return {
    f,
    root,
    containersDir: paths.containers,
    dirOf: paths.container,
    statePath: paths.record,
    readState: (name: string) => JSON.parse(readFileSync(paths.record(name), 'utf8')) as ContainerRecord,
    /** Attached run, output collected. */
    runAttached: (name: string, command: string[], extra: RunOptions = {}) =>
      run(f.image, name, { root, command, output: 'collect', ...extra }),
    runDetached: (name: string, command: string[] = ['sleep', 'infinity'], extra: RunOptions = {}) =>
      run(f.image, name, { root, command, detach: true, ...extra }),
    /** The cgroup directories a container of this root would use, wherever the hierarchies are. */
    cgroupDirsOf: (name: string) => cgroupDirsOf(cgroupId(root, name)),
    /** The kernel says this PID is alive (and not a zombie). */
    pidAlive: (pid: number) => {
      const r = refOf(pid);
      return r !== null && isAlive(r);
    },
    /** No container record and no mount of this root is left. */
    assertClean: () => {
      assert.equal(readdirSync(paths.containers), []);
      assert.equal(mountLinesMentioning(root), []);
    },
  };
}

function cgroupDirsOf(id: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3) return;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (e.name === id && path.basename(d) === 'conductor') out.push(p);
      else walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out;
}
