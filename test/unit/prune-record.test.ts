import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageStore } from '../../core/store/image-store.js';
import { loadPruneRecord, savePruneRecord } from '../../core/store/prune-record.js';
import { tempDir } from '../../harness/scratch-dir.js';

const BLOB = `ab/ab${'0'.repeat(62)}.jpg`;

describe('prune record', () => {
  let dir: { path: string; remove(): Promise<void> };
  let store: ImageStore;
  before(async () => {
    dir = await tempDir();
    ({ store } = await ImageStore.open(join(dir.path, 'store')));
  });
  after(() => dir.remove());

  it('is none without a file, and round-trips what it saves', async () => {
    assert.equal(await loadPruneRecord(store), undefined);
    await savePruneRecord(store, { fullWalkAtMs: 1234, pendingBlobs: [BLOB] });
    assert.deepEqual(await loadPruneRecord(store), { fullWalkAtMs: 1234, pendingBlobs: [BLOB] });
  });

  const damaged: Array<[what: string, text: string]> = [
    ['not JSON (a torn file)', '{"schema":"image-loader/prune-record@1","fullW'],
    ['another schema', JSON.stringify({ schema: 'image-loader/prune-record@2', fullWalkAtMs: 1, pendingBlobs: [] })],
    ['no walk time', JSON.stringify({ schema: 'image-loader/prune-record@1', pendingBlobs: [] })],
    ['a walk time that is not a number', JSON.stringify({ schema: 'image-loader/prune-record@1', fullWalkAtMs: '1' })],
  ];
  for (const [what, text] of damaged)
    it(`is none when damaged: ${what} (the next round walks the store)`, async () => {
      await writeFile(store.layout.pruneRecordFile, text);
      assert.equal(await loadPruneRecord(store), undefined);
    });

  it('drops pending names the store would not make: never a path outside the blob folder', async () => {
    const pendingBlobs = [BLOB, '../../etc/passwd', `cd/ab${'0'.repeat(62)}.jpg`, `ab/ab${'0'.repeat(62)}`, 7];
    await writeFile(
      store.layout.pruneRecordFile,
      JSON.stringify({ schema: 'image-loader/prune-record@1', fullWalkAtMs: 5, pendingBlobs }),
    );
    assert.deepEqual(await loadPruneRecord(store), { fullWalkAtMs: 5, pendingBlobs: [BLOB] });
  });
});
