/**
 * The SDK internals that root integration tests inspect directly (records on disk, cgroup files, derived
 * interface names, process probes). Integration tests import the SDK through sdk/index.ts and reach
 * internals only through this file, so what they depend on beyond the public surface is listed in one place.
 */
export { DEVICES_HELPER, PACKAGE_ROOT, resolvePaths as internalPaths } from '../../sdk/config.ts';
export { childrenOf, isAlive, refOf, stateOf } from '../../sdk/host/proc.ts';
export { oomKilled, readLimits } from '../../sdk/limits/cgroup-read.ts';
export { cgroupPids, killCgroup, removeCgroups } from '../../sdk/limits/cgroup-teardown.ts';
export { cgroupId, closeFds, createCgroups, detectLayout, openProcsFds } from '../../sdk/limits/cgroupfs.ts';
export { DEFAULT_DEVICE_RULES, deviceRuleString } from '../../sdk/limits/device-rules.ts';
export { type CgroupLayout, findCgroup2Mount } from '../../sdk/limits/layout.ts';
export { cgroupDirsFor } from '../../sdk/limits/plan.ts';
export { HOST_RUN_DIR } from '../../sdk/network/host-files.ts';
export { HOST_IF_PREFIX, hostInterfaceName, rootIdOf } from '../../sdk/network/interfaces.ts';
export { otherRoutingTools } from '../../sdk/network/routes.ts';
export { undoAll } from '../../sdk/network/undo-all.ts';
export { DISTRO_PROFILE } from '../../sdk/security/seccomp/filter.ts';
export { containerPaths, loadRecord, saveRecord } from '../../sdk/state/containers.ts';
export { withLock } from '../../sdk/state/lock.ts';
export { type ContainerRecord, type ProcessRef, type UndoStep } from '../../sdk/types.ts';
export { entryHeader } from '../../sdk/volume/tar-write.ts';
