#!/usr/bin/env node
// Builds the native helpers (native/) with make: the package's `install` script, so an installed
// conductor compiles them on the machine that runs them. When a tool or library is missing it says
// which Debian packages provide it instead of leaving a compiler error to decode.
// CONDUCTOR_SKIP_NATIVE=1 skips the build (e.g. a machine that only type-checks against the SDK).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = path.join(root, 'native');

if (process.env.CONDUCTOR_SKIP_NATIVE === '1') {
  console.error(
    'conductor: CONDUCTOR_SKIP_NATIVE=1, native helpers not built (containers cannot run until `make -C native`)',
  );
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.error(
    `conductor: native helpers are Linux-only; not built on ${process.platform} (the SDK's types still work)`,
  );
  process.exit(0);
}

const cc = process.env.CC || 'cc';
const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
// `cc -print-file-name=X` echoes X back unchanged when the library is not installed.
const libFile = (name) => {
  const r = spawnSync(cc, [`-print-file-name=${name}`], { encoding: 'utf8' });
  return r.status === 0 && path.isAbsolute(r.stdout.trim()) ? r.stdout.trim() : null;
};

// Every missing piece at once, so one apt-get fixes it. Without a compiler to ask, the headers stand in.
const haveCc = ok(cc, ['--version']);
const missing = [];
if (!haveCc) missing.push(['a C compiler', 'gcc']);
if (!ok('make', ['--version'])) missing.push(['make', 'make']);
if (!(haveCc ? libFile('libc.a') : existsSync('/usr/include/stdio.h')))
  missing.push(['libc.a (conductor-init is static)', 'libc6-dev']);
if (!(existsSync('/usr/include/seccomp.h') && (!haveCc || libFile('libseccomp.a'))))
  missing.push(['libseccomp.a and seccomp.h', 'libseccomp-dev']);
if (missing.length) {
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  console.error(
    `conductor: cannot build the native helpers: missing ${missing.map(([w]) => w).join(', ')}; ` +
      `install them with: apt-get install ${pkgs.join(' ')} (then: npm rebuild conductor)`,
  );
  process.exit(1);
}

const r = spawnSync('make', ['-s', '-C', native], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    `conductor: building the native helpers failed (make -C ${native}); needs gcc, make, libc6-dev, libseccomp-dev`,
  );
  process.exit(r.status ?? 1);
}
