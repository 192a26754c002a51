/** `build --target`, pure: the stage that becomes the image and the stages it needs, in build order. */
import { ConductorError } from '../errors.ts';
import type { BuildPlan } from './plan-steps.ts';

/**
 * @example
 * selectTarget(plan, 'build', 'Conductorfile'); // { target: 0, order: [0] }
 * selectTarget(plan, undefined, 'Conductorfile'); // the last stage and what it needs
 */
export function selectTarget(
  plan: BuildPlan,
  target: string | undefined,
  fileName: string,
): { target: number; order: number[] } {
  if (target === undefined) return { target: plan.target, order: plan.order };
  const index = plan.stages.findIndex((s) => s.name === target.toLowerCase());
  if (index < 0) {
    const names = plan.stages.map((s) => s.name).filter((n): n is string => n !== undefined);
    throw new ConductorError('INVALID_ARGUMENT', `target stage "${target}" not found in ${fileName}`, {
      hint: names.length > 0 ? `stages: ${names.join(', ')}` : 'name a stage with FROM ... AS NAME',
    });
  }
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of plan.stages[i]!.dependsOn) visit(d);
  };
  visit(index);
  return { target: index, order: [...needed].sort((a, b) => a - b) };
}
