import path from 'node:path';

/** Where a state root keeps each thing, so that no test spells the directory names itself. */
export function statePaths(root: string) {
  const containers = path.join(root, '.containers');
  const layers = path.join(root, '.layers');
  const locks = path.join(root, '.locks');
  return {
    containers,
    container: (name: string) => path.join(containers, name),
    record: (name: string) => path.join(containers, name, 'state.json'),
    layers,
    layerDiff: (id: string, rel = '') => path.join(layers, id, 'diff', rel),
    locks,
    containerLock: (name: string) => path.join(locks, `container-${name}.lock`),
  };
}
