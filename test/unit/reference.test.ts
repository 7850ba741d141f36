import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../cli/commands.js';
import { REFERENCE_PATH, renderReference } from '../../cli/reference.js';

// Compiled to dist/test/unit/: the repository root is three levels up.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('docs/reference.md', () => {
  test('is what the settings tables generate', async () => {
    const committed = await readFile(join(ROOT, REFERENCE_PATH), 'utf8').catch(() => '(missing)');
    assert.ok(
      committed === renderReference(),
      `${REFERENCE_PATH} differs from what the settings tables generate: run \`npm run docs\` and commit the result`,
    );
  });

  test('names every flag and variable of every command', () => {
    const reference = renderReference();
    for (const [name, spec] of Object.entries(COMMANDS)) {
      for (const setting of Object.values(spec.settings)) {
        assert.ok(reference.includes(`\`--${setting.flag}\``), `${name}: --${setting.flag}`);
        assert.ok(reference.includes(`\`${setting.env}\``), `${name}: ${setting.env}`);
      }
    }
  });

  test('is where the README sends readers for flags, instead of a hand-written table', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(`](${REFERENCE_PATH})`), `README.md links to ${REFERENCE_PATH}`);
    const flagRows = readme.split('\n').filter((line) => /^\|\s*`--[a-z]/.test(line));
    assert.deepEqual(flagRows, [], 'README.md: flags belong in the generated reference, not in a table of their own');
  });
});
