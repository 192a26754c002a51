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
export { images, removeImage, removeCache, type RemoveCacheOptions, type RemoveCacheResult } from './image/images.ts';
export { run, exec, ps, stop, inspect, logs, logStream, waitForLog, type Container, type PsOptions, type StopOptions, type InspectInfo } from './container/container.ts';
export type { RunOptions } from './container/run.ts';
export type { ExecOptions } from './container/exec.ts';
export type { StopResult } from './container/stop.ts';
export { addNetwork, peer, unpeer, parseExposeSpec, validateHostPorts, type NetworkInfo, type AddNetworkOptions, type PeerOptions, type PeerResult } from './network/apply.ts';
export { prune, type PruneResult } from './container/prune.ts';
export { parseMemory, parseCpus, parsePids } from './limits/plan.ts';
export { exportImage, type ExportOptions, type ExportResult } from './image/oci/export.ts';
export { importImage, type ImportOptions } from './image/oci/import.ts';
export { pullImage, pushImage, type PullOptions, type RegistryOptions } from './image/oci/registry.ts';
export { parseReference, isRegistryReference, type ImageReference } from './image/oci/reference.ts';
export { parseConductorfile, type Instruction } from './image/conductorfile.ts';
export { parseDockerfile, type ParsedFile } from './image/conductorfile-syntax.ts';
export { planBuild, unusedBuildArgs, type BuildPlan, type BuildStage, type BuildStep, type PlanOptions } from './image/build-plan.ts';
export { resolveCommand, mergeEnv, defaultImageConfig, type CommandOverrides } from './image/image-config.ts';
export { parseStopSignal } from './image/stop-signal.ts';
export { ConductorError, CommandError, BuildError, isConductorError, type ErrorCode } from './errors.ts';
export { createLogger, silentLogger, type Logger } from './log.ts';
export { resolvePaths, type CommonOptions, type Paths } from './config.ts';
export type { ContainerInfo, ExecResult, ImageConfig, ImageInfo, PortMapping, ResourceLimits, SecurityOptions, SeccompOption } from './types.ts';
