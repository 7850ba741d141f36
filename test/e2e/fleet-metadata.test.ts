import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { FleetKeys, jobIdForUrl } from '../../core/fleet/fleet-keys.js';
import { FleetMetadata } from '../../core/fleet/fleet-metadata.js';
import type { UrlMetadata } from '../../core/store/url-metadata.js';
import { type RedisServer, redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';

const skip = redisServerMissing();

const metadataOf = (url: string, i: number): UrlMetadata => ({
  version: 1,
  url,
  path: `a.example^.https/${i}.jpg`,
  sha256: i.toString(16).padStart(64, '0'),
  bytes: i,
  type: 'jpeg',
  contentType: 'image/jpeg',
  checkedAt: '2026-12-04T00:00:00.000Z',
  changedAt: '2026-12-04T00:00:00.000Z',
});

describe('FleetMetadata.getMany against a real redis-server', { skip }, () => {
  let redis: RedisServer;
  let dir: { path: string; remove(): Promise<void> };
  let client: Redis;
  const keys = new FleetKeys('getmany');

  before(async () => {
    dir = await tempDir();
    redis = await startRedisServer({ dir: dir.path, appendonly: false });
    client = new Redis(redis.url);
  });
  after(async () => {
    client?.disconnect();
    await redis?.stop();
    await dir?.remove();
  });

  it('finds every known URL of 2,500 (three batches), in a few commands, and none it does not know', async () => {
    const metadata = new FleetMetadata(client, keys);
    const urls = Array.from({ length: 2500 }, (_, i) => `https://a.example/${i}.jpg`);
    for (const [i, url] of urls.entries()) await metadata.set(metadataOf(url, i));
    // A record under a URL's id that names another URL (a hash collision) is not that URL's.
    const collided = 'https://a.example/collided.jpg';
    await client.hset(keys.metadata, jobIdForUrl(collided), JSON.stringify(metadataOf('https://b.example/x.jpg', 1)));
    const unknown = ['https://a.example/never.jpg', collided];

    const before = redis.commandCalls().hmget ?? 0;
    const found = await metadata.getMany([...urls, ...unknown]);
    assert.equal((redis.commandCalls().hmget ?? 0) - before, 3);
    assert.equal(found.size, urls.length);
    for (const [i, url] of urls.entries()) assert.equal(found.get(url)?.path, `a.example^.https/${i}.jpg`);
    for (const url of unknown) assert.equal(found.has(url), false);
    assert.deepEqual(await metadata.getMany([]), new Map());
  });
});
