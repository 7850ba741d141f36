import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CachedImage,
  ENTRY_OVERHEAD_BYTES,
  entryCost,
  ImageCache,
  MAX_CACHED_IMAGE_BYTES,
} from '../../web/image-cache.js';

function image(bytes: number, ino = 1): CachedImage {
  return { ino, size: bytes, mtimeMs: 0, body: Buffer.alloc(bytes), etag: `"${ino}"`, headers: {}, checkedAtMs: 0 };
}

describe('ImageCache: a bounded LRU of small images', () => {
  test('what one image may take: a sixteenth of the cap, at most MAX_CACHED_IMAGE_BYTES, nothing with a cap of 0', () => {
    const cases: Array<[cap: number, size: number, accepted: boolean]> = [
      [0, 0, false],
      [0, 1, false],
      [16 * 1024, 1024, true],
      [16 * 1024, 1025, false],
      [1024 ** 3, MAX_CACHED_IMAGE_BYTES, true],
      [1024 ** 3, MAX_CACHED_IMAGE_BYTES + 1, false],
      [100, 0, false],
      [ENTRY_OVERHEAD_BYTES, 0, true],
    ];
    for (const [cap, size, accepted] of cases)
      assert.equal(new ImageCache(cap).accepts(size), accepted, `cap ${cap}, image ${size}`);
  });

  test('an entry counts its body, its key and a fixed overhead', () => {
    assert.equal(entryCost('a', image(1000)), 1000 + 2 + ENTRY_OVERHEAD_BYTES);
    assert.equal(entryCost('x'.repeat(4000), image(10)), 10 + 8000 + ENTRY_OVERHEAD_BYTES);
  });

  test('never holds more than its cap: the least recently used entries go first', () => {
    const perEntry = 1000 + ENTRY_OVERHEAD_BYTES;
    const cache = new ImageCache(perEntry * 3 + 10 + 16 * 1000);
    for (const key of ['a', 'b', 'c']) cache.set(key, image(1000));
    assert.equal(cache.size, 3);
    assert.ok(cache.get('a'), 'a used: b is now the oldest');
    const fillers = Array.from({ length: 16 }, (_, n) => `filler${n}`);
    for (const key of fillers) cache.set(key, image(1000));
    assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} <= ${cache.maxBytes}`);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('c'), undefined);
    const held = ['a', ...fillers].filter((key) => cache.get(key) !== undefined);
    assert.equal(held.length, cache.size);
    assert.equal(
      cache.bytes,
      held.reduce((sum, key) => sum + entryCost(key, image(1000)), 0),
    );
  });

  test('a set replaces the entry under the same key and counts it once; delete and clear give the bytes back', () => {
    const cache = new ImageCache(1024 ** 2);
    cache.set('a', image(100, 1));
    cache.set('a', image(300, 2));
    assert.equal(cache.get('a')?.ino, 2);
    assert.equal(cache.bytes, entryCost('a', image(300)));
    cache.set('b', image(50));
    cache.delete('a');
    assert.equal(cache.bytes, entryCost('b', image(50)));
    cache.clear();
    assert.deepEqual([cache.bytes, cache.size], [0, 0]);
  });

  test('an image too large for it is not kept, and drops the older entry of its key', () => {
    const cache = new ImageCache(16 * 1024);
    cache.set('a', image(100, 1));
    cache.set('a', image(2000, 2));
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.bytes, 0);
  });
});
