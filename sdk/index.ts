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
export { buildImage, type BuildOptions, type BuildDryRunResult } from './image/build.ts';
export {
  images,
  removeImage,
  removeCache,
  type RemoveCacheOptions,
  type RemoveCacheResult,
  type RemoveImageOptions,
  type RemoveImageResult,
} from './image/images.ts';
export { inspectImage, type ImageInspectInfo, type ImageLayerInfo } from './image/inspect.ts';
export {
  run,
  exec,
  ps,
  stop,
  inspect,
  type Container,
  type ContainerRunOptions,
  type PsOptions,
  type StopOptions,
  type InspectInfo,
} from './container/container.ts';
export { logs, logStream, type LogLines, type LogsOptions } from './logs/logs.ts';
export { parseSince } from './logs/since.ts';
export {
  Wait,
  waitFor,
  waitForHttp,
  waitForLog,
  waitForPort,
  waitForHealthy,
  type HealthWaitOptions,
  type WaitOptions,
  type WaitStrategy,
  type WaitContext,
  type HttpWaitOptions,
  type LogWaitOptions,
  type PortWaitOptions,
} from './container/wait/index.ts';
export { wait, type WaitExitOptions } from './container/wait-exit.ts';
export { generateSystemd, type GenerateSystemdOptions, type SystemdUnit } from './container/generate-systemd.ts';
export { runHealthcheck, type HealthcheckResult } from './container/health-probe.ts';
export type { RunOptions } from './container/run.ts';
export type { ExecOptions } from './container/exec.ts';
export { execStream, type ExecStreamOptions, type ExecProcess, type ExecExit } from './container/exec-stream.ts';
export type { StopResult } from './container/stop.ts';
export { stopMany, type StopManyOptions, type StopManyResult } from './container/stop-many.ts';
export { addNetwork, type NetworkInfo, type AddNetworkOptions } from './network/add-network.ts';
export { peer, unpeer, type PeerOptions, type PeerResult } from './network/peer.ts';
export { parseExposeSpec, validateHostPorts } from './network/ports.ts';
export { prune, type PruneOptions, type PruneResult } from './container/prune.ts';
export {
  createVolume,
  volumes,
  inspectVolume,
  removeVolume,
  pruneVolumes,
  type PruneVolumesResult,
} from './volume/volumes.ts';
export { parseVolumeFlag, parseMountFlag, parseTmpfsFlag, validateMount, validateMounts } from './volume/mount-spec.ts';
export { copyTo, copyFrom, type CopyOptions } from './volume/copy.ts';
export { parseMemory, parseCpus, parsePids } from './limits/parse.ts';
export { exportImage, type ExportOptions, type ExportResult } from './image/oci/export.ts';
export { importImage, type ImportOptions } from './image/oci/import.ts';
export { pullImage, pushImage, type PullOptions, type RegistryOptions } from './image/oci/registry.ts';
export { parseReference, isRegistryReference, type ImageReference } from './image/oci/reference.ts';
export { parseDockerfile, type ParsedFile } from './image/conductorfile-syntax.ts';
export { planBuild } from './image/build-plan.ts';
export {
  unusedBuildArgs,
  type BuildPlan,
  type BuildStage,
  type BuildStep,
  type PlanOptions,
} from './image/plan-steps.ts';
export { resolveCommand, mergeEnv, defaultImageConfig, type CommandOverrides } from './image/image-config.ts';
export { selectTarget } from './image/build-target.ts';
export { parseStopSignal } from './image/stop-signal.ts';
export {
  healthOption,
  mergeHealthcheck,
  parseDuration,
  HEALTH_DEFAULTS,
  type HealthOption,
  type HealthOverrides,
} from './image/healthcheck.ts';
export { displayCommand } from './display.ts';
export { ConductorError, CommandError, BuildError, isConductorError, type ErrorCode } from './errors.ts';
export { createLogger, silentLogger, colorize, loadColors, type Logger } from './log.ts';
export {
  resolvePublicPaths as resolvePaths,
  defaultStateRoot,
  type CommonOptions,
  type PublicPaths as Paths,
} from './config.ts';
export type {
  ContainerInfo,
  ExecResult,
  Mount,
  VolumeInfo,
  ImageConfig,
  ImageHealthcheck,
  HealthcheckConfig,
  HealthLogEntry,
  HealthState,
  HealthStatus,
  ImageHistoryEntry,
  ImageInfo,
  PortMapping,
  ResourceLimits,
  SecurityOptions,
  SeccompOption,
} from './types.ts';
export { defineStack } from './stack/define.ts';
export { renderKubernetes, type KubeRenderOptions } from './stack/render-kube.ts';
export { renderPodmanKube, type PodmanKubeOptions } from './stack/render-podman.ts';
export type {
  Stack,
  StackDefinition,
  ServiceDefinition,
  Service,
  Healthcheck,
  DependencyCondition,
  RestartPolicy,
} from './stack/types.ts';
export { up, down, status, type UpOptions, type UpResult, type DownOptions, type ServiceStatus } from './stack/up.ts';
