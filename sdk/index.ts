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
export { buildImage, type BuildOptions } from './image/build.ts';
export { images, removeImage, removeCache, type RemoveCacheOptions, type RemoveCacheResult, type RemoveImageOptions, type RemoveImageResult } from './image/images.ts';
export { run, exec, ps, stop, inspect, logs, logStream, waitForLog, type Container, type PsOptions, type StopOptions, type InspectInfo } from './container/container.ts';
export type { RunOptions } from './container/run.ts';
export type { ExecOptions } from './container/exec.ts';
export type { StopResult } from './container/stop.ts';
export { addNetwork, type NetworkInfo, type AddNetworkOptions } from './network/add-network.ts';
export { peer, unpeer, type PeerOptions, type PeerResult } from './network/peer.ts';
export { parseExposeSpec, validateHostPorts } from './network/ports.ts';
export { prune, type PruneOptions, type PruneResult } from './container/prune.ts';
export { parseMemory, parseCpus, parsePids } from './limits/plan.ts';
export { parseConductorfile, type Instruction } from './image/conductorfile.ts';
export { parseDockerfile, type ParsedFile } from './image/conductorfile-syntax.ts';
export { planBuild, unusedBuildArgs, type BuildPlan, type BuildStage, type BuildStep, type PlanOptions } from './image/build-plan.ts';
export { resolveCommand, mergeEnv, defaultImageConfig, type CommandOverrides } from './image/image-config.ts';
export { parseStopSignal } from './image/stop-signal.ts';
export { ConductorError, CommandError, BuildError, isConductorError, type ErrorCode } from './errors.ts';
export { createLogger, silentLogger, type Logger } from './log.ts';
export { resolvePaths, type CommonOptions, type Paths } from './config.ts';
export type { ContainerInfo, ExecResult, ImageConfig, ImageInfo, PortMapping, ResourceLimits, SecurityOptions, SeccompOption } from './types.ts';
