/** Every benchmark group, in the order a run measures them and BENCHMARKS.md shows them. */
import type { GroupDef } from '../lib/context.ts';
import { addnetworkGroup } from './addnetwork.ts';
import { buildGroup } from './build.ts';
import { chainGroup } from './chain.ts';
import { concurrencyGroup } from './concurrency.ts';
import { diskGroup } from './disk.ts';
import { execGroup } from './exec.ts';
import { floorsGroup } from './floors.ts';
import { httpGroup } from './http.ts';
import { memoryGroup } from './memory.ts';
import { profileGroup } from './profile.ts';
import { rebuildGroup } from './rebuild.ts';
import { runGroup } from './run.ts';
import { scaleAddnetworkGroup } from './scale-addnetwork.ts';
import { scaleHttpGroup } from './scale-http.ts';
import { scalePsGroup } from './scale-ps.ts';
import { scaleTransferGroup } from './scale-transfer.ts';
import { stopallGroup } from './stop-all.ts';
import { upGroup } from './up.ts';

/**
 * The order matters beyond the report: run comes before the long-running containers start, build and
 * addnetwork show figures that floors and rebuild measured, concurrency adds a row to memory; the four
 * scale groups share one fleet, measured by whichever runs first.
 */
export const GROUPS: readonly GroupDef[] = [
  floorsGroup,
  runGroup,
  diskGroup,
  execGroup,
  memoryGroup,
  rebuildGroup,
  buildGroup,
  concurrencyGroup,
  addnetworkGroup,
  httpGroup,
  scaleAddnetworkGroup,
  scalePsGroup,
  scaleHttpGroup,
  scaleTransferGroup,
  stopallGroup,
  upGroup,
  chainGroup,
  profileGroup,
];
