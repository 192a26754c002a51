// The README's SDK example is the code tests/integration/readme-example.test.ts runs: its code block,
// after the line naming that file, is the test file's marked region with the import of sdk/index.ts
// spelled as the package's name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE = 'tests/integration/readme-example.test.ts';

test('the README example is the integration test, word for word', () => {
  const source = readFileSync(path.join(REPO, EXAMPLE), 'utf8');
  const region = /\n\/\/ ---- README example ----\n([\s\S]*?)\/\/ ---- end of README example ----\n/.exec(source);
  assert.ok(region, `${EXAMPLE} has the two marker lines`);
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf(EXAMPLE));
  const block = /```ts\n([\s\S]*?)```\n/.exec(after);
  assert.ok(readme.includes(EXAMPLE) && block, `README.md names ${EXAMPLE}, then a ts code block`);
  assert.fixture(block![1]!, region![1]!.replaceAll("from '../../sdk/index.ts'", "from 'conductor'"));
});

test.run();
