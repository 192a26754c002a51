/**
 * conductor's public SDK. Import from here only.
 *
 * @example
 * import { buildImage, run, addNetwork, peer, exec, stop } from './sdk/index.ts';
 * await buildImage('counter', { file: 'conductorfiles/counter-service.Conductorfile', context: '.' });
 * const c = await run('counter', 'cs-cont', { detach: true, command: ['sleep', 'infinity'] });
 * const { ip } = await addNetwork('cs-cont', { internet: true });
 * await exec('cs-cont', ['/opt/counter-service/counter-service', '8080'], { detach: true });
 * await stop('cs-cont');
 */
export { buildImage, type BuildOptions } from './build.ts';
export { images, removeImage, removeCache, type RemoveCacheOptions, type RemoveCacheResult } from './image.ts';
export { run, exec, ps, stop, inspect, logs, logStream, waitForLog, type Container, type PsOptions, type StopOptions, type InspectInfo } from './container.ts';
export type { RunOptions } from './run.ts';
export type { ExecOptions } from './exec.ts';
export type { StopResult } from './stop.ts';
export { addNetwork, peer, unpeer, parseExposeSpec, validateHostPorts, type NetworkInfo, type AddNetworkOptions, type PeerOptions, type PeerResult } from './network.ts';
export { prune, type PruneResult } from './prune.ts';
export { parseMemory, parseCpus, parsePids } from './cgroup-plan.ts';
export { parseConductorfile, type Instruction } from './conductorfile.ts';
export { parseDockerfile, planBuild, unusedBuildArgs, type ParsedFile, type BuildPlan, type BuildStage, type BuildStep, type PlanOptions } from './conductorfile.ts';
export { resolveCommand, mergeEnv, defaultImageConfig, type CommandOverrides } from './image-config.ts';
export { parseStopSignal } from './stop-signal.ts';
export { ConductorError, CommandError, BuildError, isConductorError, type ErrorCode } from './errors.ts';
export { createLogger, silentLogger, type Logger } from './log.ts';
export { resolvePaths, type CommonOptions, type Paths } from './config.ts';
export type { ContainerInfo, ExecResult, ImageConfig, ImageInfo, PortMapping, ResourceLimits, SecurityOptions, SeccompOption } from './types.ts';
