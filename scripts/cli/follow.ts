/** logs -f: print the log and keep following it until the container stops. */
import { spawn } from 'node:child_process';
import * as sdk from '../../sdk/index.ts';
import type { Io } from './commands.ts';

export async function followLogs(name: string, io: Io): Promise<number> {
  const info = await sdk.inspect(name);
  if (info.pid === null) {
    await io.pipeOut(sdk.logStream(name)); // nothing more will come
    return 0;
  }
  // tail --pid stops following once the container's init is gone.
  const child = spawn('tail', ['-n', '+1', '-f', `--pid=${info.pid}`, info.logPath], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.on('close', (c) => resolve(c ?? 0)));
}
