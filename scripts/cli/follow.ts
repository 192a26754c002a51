/** logs -f: print the log and keep following it until the container stops. */
import { spawn } from 'node:child_process';
import * as sdk from '../../sdk/index.ts';
import type { Io } from './commands.ts';

export async function followLogs(name: string, _io: Io): Promise<number> {
  const info = await sdk.inspect(name);
  const paths = sdk.resolvePaths();
  const file = `${paths.containers}/${name}/log`;
  // tail --pid stops following once the container's init is gone.
  const args = ['-n', '+1', '-f', ...(info.pid ? [`--pid=${info.pid}`] : []), file];
  if (!info.pid) args.splice(2, 1);
  const child = spawn('tail', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.on('close', (c) => resolve(c ?? 0)));
}
