/**
 * Stacks from the command line, run through tsx:
 *   npx tsx scripts/stack.ts <up|down|ps|logs|kube|podman-kube> <stack-file> [--build] [--wait] [-f] [--registry R]
 *   npx tsx scripts/stack.ts podman-kube <stack-file> --no-publish   (no ports: for podman kube play --network none)
 * The stack file's default export is a `defineStack(...)` result (see stacks/demo.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createLogger,
  down,
  isConductorError,
  logs,
  renderKubernetes,
  renderPodmanKube,
  status,
  up,
  type Stack,
} from '../sdk/index.ts';

const USAGE =
  'usage: stack.ts <up|down|ps|logs|kube|podman-kube> <stack-file> [--build] [--wait] [-f] [--registry HOST[:PORT]]' +
  ' [--no-publish]';
const [verb, file, ...rest] = process.argv.slice(2);
const log = createLogger();

function fail(message: string, code = 2): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(code);
}

async function load(f: string): Promise<Stack> {
  if (!existsSync(f))
    fail(`stack file ${f} not found (give the path of a .ts file whose default export is defineStack(...))`);
  const mod = (await import(pathToFileURL(path.resolve(f)).href)) as { default?: Stack };
  const s = mod.default;
  if (!s || typeof s !== 'object' || !Array.isArray(s.levels))
    fail(`${f} has no default export made by defineStack(...)`);
  return s;
}

if (!verb || !file || !['up', 'down', 'ps', 'logs', 'kube', 'podman-kube'].includes(verb)) fail(USAGE);
try {
  const stack = await load(file);
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? (rest[i + 1] ?? fail(`${name} needs a value`)) : undefined;
  };
  switch (verb) {
    case 'up': {
      const r = await up(stack, { log, build: rest.includes('--build'), wait: rest.includes('--wait') });
      const unchanged = r.unchanged.length ? `; unchanged ${r.unchanged.join(', ')}` : '';
      process.stdout.write(`${stack.name}: started ${r.started.join(', ') || 'nothing'}${unchanged}\n`);
      break;
    }
    case 'down':
      process.stdout.write(`${stack.name}: stopped ${(await down(stack, { log })).join(', ') || 'nothing'}\n`);
      break;
    case 'ps':
      for (const s of await status(stack)) {
        const ports = s.ports.map((p) => `${p.host}->${p.container}`).join(',');
        process.stdout.write(
          `${s.service.padEnd(20)} ${s.container.padEnd(28)} ${s.status.padEnd(8)} ` +
            `${(s.ip ?? '-').padEnd(15)} ${ports}\n`,
        );
      }
      break;
    case 'logs': {
      // Every container's log at once, each line prefixed with its service; -f follows them all.
      const follow = rest.includes('-f') || rest.includes('--follow');
      const each = Object.values(stack.services).flatMap((s) =>
        s.containerNames.map(async (c) => {
          try {
            for await (const line of logs(c, { follow })) process.stdout.write(`${s.name} | ${line}\n`);
          } catch (e) {
            if (!isConductorError(e, 'CONTAINER_NOT_FOUND')) throw e;
          }
        }),
      );
      await Promise.all(each);
      break;
    }
    case 'kube': {
      const registry = flag('--registry');
      process.stdout.write(renderKubernetes(stack, registry ? { registry } : {}));
      break;
    }
    case 'podman-kube':
      process.stdout.write(renderPodmanKube(stack, { publish: !rest.includes('--no-publish') }));
      break;
  }
} catch (e) {
  process.stderr.write(`stack: ${(e as Error).message}\n`);
  process.exit(isConductorError(e) ? 125 : 1);
}
