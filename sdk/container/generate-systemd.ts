/** `generate systemd`: a container's unit from its record (planned in systemd-unit.ts). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLI_BUNDLE, resolvePaths, type CommonOptions } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { validateName } from '../names.ts';
import { requireRecord } from '../state/containers.ts';
import { planSystemdUnit, unitFileName } from './systemd-unit.ts';

/**
 * `generate systemd`'s options: the unit's stop timeout, and the CLI it runs.
 * @example await generateSystemd('web1', { stopTimeoutSeconds: 30 });
 */
export interface GenerateSystemdOptions extends CommonOptions {
  /** `stop -t` in the unit: seconds between the stop signal and SIGKILL (default 10). */
  stopTimeoutSeconds?: number;
  /** The CLI the unit runs, absolute (default: this Node and this package's dist/conductor.cjs). */
  conductor?: string[];
}

/**
 * A generated unit: podman's file name for it, and its text.
 * @example const { fileName, text }: SystemdUnit = await generateSystemd('web1'); // 'container-web1.service'
 */
export interface SystemdUnit {
  fileName: string;
  text: string;
}

/**
 * A systemd service that runs this container at boot (`systemctl enable`) with the options it was
 * run with, and stops (removes) it at shutdown. Nothing else starts containers at boot: there is
 * no daemon. The container must have been made by a conductor that keeps its run options.
 *
 * @example
 * const { fileName, text } = await generateSystemd('web1');
 * writeFileSync(`/etc/systemd/system/${fileName}`, text); // then: systemctl enable --now container-web1
 */
export async function generateSystemd(name: string, opts: GenerateSystemdOptions = {}): Promise<SystemdUnit> {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  const rec = requireRecord(paths, name);
  if (!rec.request) {
    throw new ConductorError('UNSUPPORTED_RECORD', `container "${name}" was made before conductor kept run options`, {
      hint: 'run it again, then generate its unit',
    });
  }
  const cli = CLI_BUNDLE;
  if (!opts.conductor && !existsSync(cli)) {
    throw new ConductorError('MISSING_TOOL', `the CLI "${cli}" the unit would run is not built`, {
      hint: 'build it: node scripts/build-cli.mjs',
    });
  }
  const conductor = opts.conductor ?? [process.execPath, cli];
  if (!path.isAbsolute(conductor[0] ?? '')) {
    throw new ConductorError('INVALID_ARGUMENT', `the unit's CLI "${conductor.join(' ')}" must start with a path`, {
      hint: 'systemd runs no command by name: give its absolute path',
    });
  }
  const text = planSystemdUnit(rec, {
    conductor,
    root: paths.root,
    cache: paths.cache,
    stopTimeoutSeconds: opts.stopTimeoutSeconds,
  });
  return { fileName: unitFileName(name), text };
}
