import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageStore } from '../../core/store/image-store.js';
import { MetadataIndex } from '../../core/store/metadata-index.js';
import type { UrlMetadata } from '../../core/store/url-metadata.js';
import { tempDir } from '../../harness/scratch-dir.js';

function metadata(url: string, sha256 = 'a'.repeat(64)): UrlMetadata {
  return {
    version: 1,
    url,
    path: `example.com/${url.split('/').pop()}`,
    sha256,
    bytes: 10,
    type: 'png',
    contentType: 'image/png',
    etag: '"e"',
    checkedAt: '2026-01-01T00:00:00.000Z',
    changedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('MetadataIndex', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('starts empty without a file, and round-trips what it saves', async () => {
    const { store } = await ImageStore.open(join(dir.path, 'a'));
    const { index } = await MetadataIndex.load(store);
    assert.equal(index.size, 0);
    index.set(metadata('https://example.com/1.png'));
    index.set(metadata('https://example.com/2.png'));
    index.set(metadata('https://example.com/1.png', 'b'.repeat(64)));
    await index.save();
    const reloaded = (await MetadataIndex.load(store)).index;
    assert.equal(reloaded.size, 2);
    assert.equal(reloaded.get('https://example.com/1.png')?.sha256, 'b'.repeat(64), 'the latest value wins');
  });

  it('names the blobs URLs moved away from, once, and every name with its blob', async () => {
    const { store } = await ImageStore.open(join(dir.path, 'replaced'));
    const { index } = await MetadataIndex.load(store);
    const first = metadata('https://example.com/1.png');
    index.set(first);
    index.set(metadata('https://example.com/2.png', 'c'.repeat(64)));
    assert.deepEqual(index.takeReplacedBlobs(), [], 'a first version replaces nothing');
    index.set(first);
    index.set({ ...first, etag: '"f"' });
    assert.deepEqual(index.takeReplacedBlobs(), [], 'the same bytes revalidated replace nothing');
    index.set(metadata('https://example.com/1.png', 'b'.repeat(64)));
    assert.deepEqual(index.takeReplacedBlobs(), [`aa/${'a'.repeat(64)}.png`]);
    assert.deepEqual(index.takeReplacedBlobs(), [], 'taken once');
    assert.deepEqual(
      index.knownNames().map((name) => name.blob),
      [`bb/${'b'.repeat(64)}.png`, `cc/${'c'.repeat(64)}.png`],
    );
    // A damaged entry (not a SHA-256, an unknown type) names no blob: pruning never looks outside the blob folder.
    index.set({ ...metadata('https://example.com/3.png'), sha256: '../../../etc/passwd' });
    index.set({ ...metadata('https://example.com/4.png'), type: 'exe' as UrlMetadata['type'] });
    index.set(metadata('https://example.com/3.png', 'd'.repeat(64)));
    assert.deepEqual(index.takeReplacedBlobs(), []);
    assert.equal(index.knownNames().length, 3);
  });

  it('skips damaged lines (a torn write) and keeps the rest', async () => {
    const { store } = await ImageStore.open(join(dir.path, 'b'));
    const good = JSON.stringify(metadata('https://example.com/ok.png'));
    await writeFile(
      store.layout.metadataFile,
      `${good}\n{"version":1,"url":"https://exa\nnot json\n${JSON.stringify({ version: 2, url: 'x' })}\n`,
    );
    const { index, skippedLines } = await MetadataIndex.load(store);
    assert.equal(index.size, 1);
    assert.equal(skippedLines, 3);
  });

  it('records a failure on a stored copy, and nothing for an unknown URL', async () => {
    const { store } = await ImageStore.open(join(dir.path, 'c'));
    const { index } = await MetadataIndex.load(store);
    index.set(metadata('https://example.com/kept.png'));
    index.recordFailure('https://example.com/kept.png', {
      code: 'IMG_ERR_HTTP_STATUS',
      message: 'server answered HTTP 500',
    });
    index.recordFailure('https://example.com/never.png', {
      code: 'IMG_ERR_HTTP_STATUS',
      message: 'server answered HTTP 404',
    });
    assert.equal(index.get('https://example.com/kept.png')?.lastError?.code, 'IMG_ERR_HTTP_STATUS');
    assert.equal(index.get('https://example.com/kept.png')?.sha256, 'a'.repeat(64), 'the copy stays');
    assert.equal(index.get('https://example.com/never.png'), undefined);
  });

  it('does not rewrite an unchanged index, and concurrent saves do not interleave', async () => {
    const { store } = await ImageStore.open(join(dir.path, 'd'));
    const { index } = await MetadataIndex.load(store);
    for (let i = 0; i < 500; i++) index.set(metadata(`https://example.com/${i}.png`));
    await Promise.all([index.save(), index.save(), index.save()]);
    const text = await readFile(store.layout.metadataFile, 'utf8');
    assert.equal(text.trim().split('\n').length, 500);
    await writeFile(store.layout.metadataFile, 'sentinel');
    await index.save();
    assert.equal(await readFile(store.layout.metadataFile, 'utf8'), 'sentinel', 'a clean index is not written again');
    index.set(index.get('https://example.com/7.png')!);
    await index.save();
    assert.equal(
      await readFile(store.layout.metadataFile, 'utf8'),
      'sentinel',
      'setting the same entry again (a fresh skip) changes nothing',
    );
    index.set({ ...index.get('https://example.com/7.png')!, checkedAt: '2026-02-01T00:00:00.000Z' });
    await index.save();
    assert.notEqual(await readFile(store.layout.metadataFile, 'utf8'), 'sentinel', 'a changed entry is written');
  });
});
