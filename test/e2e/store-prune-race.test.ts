import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ImageStore } from '../../core/store/image-store.js';
import { pruneStore } from '../../core/store/prune-store.js';
import type { UrlMetadata } from '../../core/store/url-metadata.js';
import { seededBytes } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { blobFiles } from '../../harness/store-usage.js';

const NO_CACHE = { etag: undefined, lastModified: undefined, freshUntil: undefined };
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The store's own race, in one process so the two interleave at every await: a commit of bytes whose blob is
 * dead (link count 1) and being pruned with a grace of 0 at that moment. Whichever wins, the committed name holds
 * the bytes, and no blob a name links is removed.
 */
describe('a commit racing a prune of the blob it links', () => {
  let dir: { path: string; remove(): Promise<void> };
  let store: ImageStore;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => dir.remove());

  const commit = async (url: string, bytes: Buffer, previous: UrlMetadata | undefined): Promise<UrlMetadata> => {
    const tempPath = store.newTempPath();
    await writeFile(tempPath, bytes);
    const { metadata } = await store.commitImage({
      url,
      tempPath,
      sha256: sha(bytes),
      bytes: bytes.length,
      type: 'png',
      cache: NO_CACHE,
      previous,
      previousPresent: previous !== undefined,
    });
    return metadata;
  };

  it('never loses the committed bytes (100 rounds of the race)', async () => {
    const old = seededBytes(50_000, 'old version');
    const fresh = seededBytes(50_000, 'new version');
    let raceWon = 0;
    for (let i = 0; i < 100; i++) {
      // A small store each time, so that a prune takes about as long as a commit and the two overlap.
      store = (await ImageStore.open(`${dir.path}/store-${i}`)).store;
      // The old bytes' blob made dead: its only name moved to the new version.
      const url = `https://example.test/race/${i}.png`;
      const first = await commit(url, old, undefined);
      await commit(url, fresh, first);
      // Another URL commits the old bytes again while a prune with no grace runs.
      const other = `https://example.test/again/${i}.png`;
      // The commit starts a few event-loop turns after the prune, a different number each time, so that over the
      // rounds it links the blob before, while and after the prune takes it away.
      const [committed, report] = await Promise.all([
        (async () => {
          for (let tick = 0; tick < i % 25; tick++) await new Promise((resolve) => setImmediate(resolve));
          return await commit(other, old, undefined);
        })(),
        pruneStore(store, { keepReplacedMs: 0, keepDelistedMs: Number.POSITIVE_INFINITY, maxDelistPercent: 100 }),
      ]);
      if (report.removedFiles > 0) raceWon++;
      const stored = await readFile(store.layout.humanPath(committed.path));
      assert.equal(sha(stored), sha(old), `round ${i}: the committed name holds the old bytes`);
    }
    // The last store: the committed name's blob survives a prune (it is linked), the dead one is gone.
    await pruneStore(store, { keepReplacedMs: 0, keepDelistedMs: Number.POSITIVE_INFINITY, maxDelistPercent: 100 });
    assert.equal((await blobFiles(store.layout.root)).length, 2, 'the new version and the re-committed old one');
    process.stdout.write(`# prune removed a blob in ${raceWon} of 100 races\n`);
  });
});
