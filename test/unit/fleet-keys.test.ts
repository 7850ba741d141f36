import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FleetKeys, jobIdForUrl } from '../../core/fleet/fleet-keys.js';
import { fleetSettings, redactRedisUrl } from '../../core/fleet/fleet-settings.js';

describe('jobIdForUrl', () => {
  test('the same URL always gets the same id; ids never contain ":" (BullMQ refuses them)', () => {
    for (const url of ['https://example.com/a.png', 'http://h:8080/x?y=1:2', 'https://例え.jp/画像.png']) {
      assert.equal(jobIdForUrl(url), jobIdForUrl(url));
      assert.match(jobIdForUrl(url), /^u[0-9a-f]{40}$/);
    }
  });
  test('10,000 URLs differing in one character get 10,000 ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, (_, i) => jobIdForUrl(`https://example.com/image-${i}.png`)));
    assert.equal(ids.size, 10_000);
  });
});

describe('FleetKeys', () => {
  test("every key lives under the prefix; a download job key follows BullMQ's prefix:queue:id layout", () => {
    const keys = new FleetKeys('fleet-a');
    for (const key of [
      keys.currentRound,
      keys.lastRound,
      keys.history,
      keys.metadata,
      keys.scheduleLock,
      keys.hostReleased,
      keys.round('r1'),
      keys.hostLeases('example.com:443'),
    ]) {
      assert.ok(key.startsWith('fleet-a:fleet:'), key);
    }
    assert.equal(keys.downloadJob('u123'), 'fleet-a:downloads:u123');
    assert.notEqual(new FleetKeys('fleet-b').currentRound, keys.currentRound);
  });
});

describe('fleet settings', () => {
  const cases: Array<[setting: keyof typeof fleetSettings, text: string, value: unknown]> = [
    ['redis', 'redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis', 'rediss://user:secret@redis.internal:6380/2', 'rediss://user:secret@redis.internal:6380/2'],
    ['redis', ' redis://10.0.0.5 ', 'redis://10.0.0.5'],
    ['redis', 'http://127.0.0.1:6379', undefined],
    ['redis', '127.0.0.1:6379', undefined],
    ['redis', 'redis://', undefined],
    ['prefix', 'image-loader', 'image-loader'],
    ['prefix', 'fleet_2', 'fleet_2'],
    ['prefix', 'a:b', undefined],
    ['prefix', '', undefined],
    ['prefix', 'x'.repeat(65), undefined],
    ['stalledIntervalMs', '2s', 2000],
    ['stalledIntervalMs', '500ms', undefined],
  ];
  for (const [setting, text, value] of cases) {
    test(`${setting} ${JSON.stringify(text)} -> ${JSON.stringify(value)}`, () => {
      assert.deepEqual(fleetSettings[setting].parse(text), value);
    });
  }
  test('the password never reaches a log line', () => {
    assert.equal(redactRedisUrl('redis://:s3cret@10.0.0.5:6379/0'), 'redis://:***@10.0.0.5:6379/0');
    assert.equal(redactRedisUrl('redis://fleet:s3cret@10.0.0.5:6379'), 'redis://fleet:***@10.0.0.5:6379');
    assert.equal(redactRedisUrl('redis://10.0.0.5:6379'), 'redis://10.0.0.5:6379');
  });
});
