/**
 * The two-service demo, step for step as the original bash tool's service-orchestrator.sh, one SDK call
 * per step (independent calls of a step, and steps that do not need each other, at once):
 *   sudo npx tsx scripts/service-orchestrator.ts          (just up: the same from a bundle, scripts/run-bundled.mjs)
 *   sudo npx tsx scripts/service-orchestrator.ts down     (or: just down)
 * Names and the host port: --es-name/--cs-name/--port, or ES_NAME/CS_NAME/HOST_PORT.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addNetwork,
  buildImage,
  ConductorError,
  createLogger,
  exec,
  inspectImage,
  logs,
  peer,
  run,
  stopMany,
  waitForHttp,
} from '../sdk/index.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = createLogger();

function option(flag: string, env: string, dflt: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : (process.env[env] ?? dflt);
}
const ES = option('--es-name', 'ES_NAME', 'es-cont');
const CS = option('--cs-name', 'CS_NAME', 'cs-cont');
const PORT = Number(option('--port', 'HOST_PORT', '3000'));
const created: string[] = [];
// The containers' PID 1 only holds the namespaces; the services are exec'd into them (as the
// original script does), once their networks exist. It ends at once on SIGTERM, so stop never has to wait for its
// SIGKILL timeout. (`conductor run -d counter-service c` alone would start the service instead.)
const HOLDER = ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep infinity & wait'];

async function step<T>(n: number, title: string, fn: () => Promise<T>): Promise<T> {
  log.step(`[${n}/7] ${title}`);
  try {
    return await fn();
  } catch (e) {
    log.error(`step ${n} (${title}) failed: ${(e as Error).message}`);
    await stopMany(created, { timeoutSeconds: 2, ignoreMissing: true });
    process.exit(e instanceof ConductorError ? 125 : 1);
  }
}

if (process.argv[2] === 'down') {
  const { stopped, failed } = await stopMany([ES, CS], { timeoutSeconds: 5, ignoreMissing: true });
  for (const f of failed) log.error(`${f.name}: ${(f.error as Error).message}`);
  for (const r of stopped) log.info(r.exitCode === null && !r.killed ? `${r.name}: not running` : `${r.name} stopped`);
  process.exit(0);
}

// 1. Build both images (context: the repo root, whatever the current directory). One after the other:
// cached they take milliseconds, and two cold builds at once would interleave their output.
await step(1, 'build images', async () => {
  for (const image of ['external-service', 'counter-service']) {
    await buildImage(image, { file: path.join(REPO, `conductorfiles/${image}.Conductorfile`), context: REPO, log });
  }
});

// 2. Run both containers detached (replacing the ones a previous run left).
await step(2, `run ${ES} and ${CS}`, async () => {
  const { failed } = await stopMany([ES, CS], { timeoutSeconds: 5, ignoreMissing: true });
  if (failed[0]) throw failed[0].error;
  await Promise.all(
    [
      ['external-service', ES],
      ['counter-service', CS],
    ].map(async ([image, name]) => {
      await run(image!, name!, { detach: true, command: HOLDER, log });
      created.push(name!);
    }),
  );
});

// 3. Networks: es-cont with internet and host port → 8080; cs-cont with internet, nothing exposed.
// Each container's own, so both at once (the address allocation inside is serialized by its lock).
// Steps 5 and 6 need only the counter's address: they go on as soon as it is reserved, so
// gunicorn's start-up, the longest wait, overlaps both networks being wired and the peering
// (the services bind 0.0.0.0, which covers an interface added after them).
const { esNet, csNet, counterIp } = await step(3, `add networks (host port ${PORT} → ${ES}:8080)`, async () => {
  let reserved!: (ip: string) => void;
  const address = new Promise<string>((resolve) => (reserved = resolve));
  const es = addNetwork(ES, { internet: true, expose: [{ container: 8080, host: PORT }], log });
  const cs = addNetwork(CS, { internet: true, log, onAddress: reserved });
  // Both are awaited by step 4, which reports a failure after the counter's address was reserved.
  es.catch(() => {});
  cs.catch(() => {});
  return { esNet: es, csNet: cs, counterIp: await Promise.race([address, cs.then((n) => n.ip)]) };
});

// 4. Peer the two, once both networks exist (step 7's traffic needs it).
const peered = step(4, `peer ${ES} and ${CS}`, async () => {
  await Promise.all([esNet, csNet]);
  await peer(ES, CS, { log });
});

// 5. The counter's address, as addNetwork reserved it.
const counterUrl = await step(5, `counter address ${counterIp}`, async () => `http://${counterIp}:8080`);

// 6. Start the counter service and the external service pointing at it (at once: the external one
// needs the counter's address, not the counter): each image's own CMD, in its WORKDIR with its ENV
// (PORT...); only the counter's address is ours to give.
await step(6, 'start the services', async () => {
  const [cs, es] = await Promise.all([inspectImage('counter-service'), inspectImage('external-service')]);
  await Promise.all([
    exec(CS, cs.config.cmd ?? [], { detach: true }),
    exec(ES, es.config.cmd ?? [], { detach: true, env: [`COUNTER_SERVICE_URL=${counterUrl}`] }),
  ]);
});
await peered;

// 7. Wait until the external service answers through the published port.
await step(7, `wait for http://localhost:${PORT}/`, async () => {
  try {
    await waitForHttp(ES, { host: '127.0.0.1', port: PORT, path: '/', timeoutMs: 30_000 });
  } catch (e) {
    for (const name of [ES, CS]) log.info(`--- logs of ${name}:\n${await logs(name)}`);
    throw e;
  }
});

process.stdout.write(
  `external service: http://localhost:${PORT}/  (also on this host's addresses)\n` +
    `counter service (host and ${ES} only): ${counterUrl}/get_and_increment_counter\n`,
);
// Nothing is left to wait for: the containers are the monitors' children, not ours.
process.exit(0);
