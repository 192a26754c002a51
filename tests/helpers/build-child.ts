/**
 * A build in its own process, for tests that kill a build mid-step:
 *   node --import tsx tests/helpers/build-child.ts NAME FILE CONTEXT ROOT
 */
import { buildImage } from '../../sdk/image/build.ts';
import { createLogger } from '../../sdk/log.ts';

const [name, file, context, root] = process.argv.slice(2);
if (!name || !file || !context || !root) {
  process.stderr.write('usage: build-child.ts NAME FILE CONTEXT ROOT\n');
  process.exit(2);
}
await buildImage(name, { file, context, root, log: createLogger() });
