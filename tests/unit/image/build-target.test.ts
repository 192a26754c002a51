import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import { selectTarget } from '../../../sdk/image/build-target.ts';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { isConductorError } from '../../../sdk/errors.ts';

const FILE = `FROM debian:bookworm AS deps
RUN true
FROM debian:bookworm AS unused
RUN false
FROM deps AS build
COPY --from=deps /a /b
FROM debian:bookworm
COPY --from=build /b /c
`;
const plan = planBuild(parseDockerfile(FILE));

test('no target: the last stage and only the stages it needs (unused is skipped)', () => {
  assert.equal(selectTarget(plan, undefined, 'Conductorfile'), { target: 3, order: [0, 2, 3] });
});

test('--target: that stage and what it needs; names are case-insensitive as in Docker', () => {
  assert.equal(selectTarget(plan, 'build', 'Conductorfile'), { target: 2, order: [0, 2] });
  assert.equal(selectTarget(plan, 'DEPS', 'Conductorfile'), { target: 0, order: [0] });
  assert.equal(selectTarget(plan, 'unused', 'Conductorfile'), { target: 1, order: [1] });
});

test('--target of an unknown stage: INVALID_ARGUMENT naming the stages', () => {
  try {
    selectTarget(plan, 'nope', 'app/Conductorfile');
    assert.unreachable();
  } catch (e) {
    assert.ok(isConductorError(e, 'INVALID_ARGUMENT'));
    assert.is((e as Error).message, 'target stage "nope" not found in app/Conductorfile (stages: deps, unused, build)');
  }
});

test.run();
