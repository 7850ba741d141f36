import assert from 'node:assert/strict';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles } from '../../harness/store-files.js';

// Paths an origin (or a list's author) could use to climb out of the store, overwrite its internals,
// or make two URLs land on one file. Each is a different URL, so each must be a different file.
const HOSTILE_PATHS = [
  '/a/../../../etc/passwd',
  '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/..%2f..%2fescape.png',
  '/.image-loader/last-round.json',
  '/.image-loader/tmp/x.png',
  '/.hidden.png',
  '/con.png',
  '/NUL/a.png',
  '/caf\u00e9.png',
  '/cafe\u0301.png',
  '/a.png',
  '/A.png',
  '/a.png?x=1',
  '/a.png%3Fx=1',
  '/a.png^3Fx=1',
  '/x.png',
  '/x.png/y.png',
  '/dir/',
  '/dir',
  '/a^.png',
  '/a%00b.png',
  `/${'l'.repeat(300)}-one.png`,
  `/${'l'.repeat(300)}-two.png`,
  `/${'d/'.repeat(600)}deep.png`,
];

describe('fetch: hostile URL paths are stored inside the store, each URL in a file of its own', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  it("every image lands byte-exact under the store root, no two URLs share a file, and the store's own files are untouched", async () => {
    const bodies = new Map<string, Buffer>();
    for (const [i, path] of HOSTILE_PATHS.entries()) {
      const url = new URL(`${origin.url}${path}`);
      const body = makePng(`hostile ${i}`, 4 + (i % 7));
      // The origin sees the path as the URL parser sends it (dot segments resolved, unsafe bytes escaped).
      origin.set(url.pathname + url.search, { kind: 'image', body });
      bodies.set(url.href, body);
    }
    assert.equal(bodies.size, HOSTILE_PATHS.length, 'the table holds distinct URLs');
    const list = join(dir.path, 'hostile-paths.txt');
    await writeFile(list, [...bodies.keys()].join('\n'));
    const store = join(dir.path, 'store');
    const result = await runCli(['fetch', list, '--store', store, '--allow-private', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as RoundSummary;
    assert.equal(summary.counts.downloaded, bodies.size);

    const root = await realpath(store);
    const paths = new Set<string>();
    for (const entry of summary.entries) {
      assert.ok(entry.path !== undefined, entry.url);
      assert.ok(!paths.has(entry.path), `${entry.url} shares ${entry.path} with another URL`);
      paths.add(entry.path);
      const file = await realpath(join(store, entry.path));
      assert.ok(file.startsWith(root + sep), `${entry.url} -> ${file} is outside the store`);
      assert.ok(
        !file.startsWith(join(root, '.image-loader') + sep),
        `${entry.url} -> ${file} is inside the store's internals`,
      );
      assert.ok((await readFile(file)).equals(bodies.get(entry.url)!), `${entry.path} is byte-exact`);
    }
    assert.deepEqual(await humanFiles(store), [...paths].sort(), "the human tree holds exactly the round's files");
    const lastRound = JSON.parse(
      await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8'),
    ) as RoundSummary;
    assert.equal(
      lastRound.counts.downloaded,
      bodies.size,
      "the summary file is the round's, not an image named like it",
    );
  });
});
