import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration } from '../../core/config/format-duration.js';
import { formatSize } from '../../core/config/format-size.js';
import { parseDuration } from '../../core/config/parse-duration.js';
import { parseSize } from '../../core/config/parse-size.js';

const durations: Array<[ms: number, text: string]> = [
  [0, '0s'],
  [1, '1ms'],
  [100, '100ms'],
  [1000, '1s'],
  [30_000, '30s'],
  [60_000, '1m'],
  [90_000, '1m30s'],
  [300_000, '5m'],
  [3_600_000, '1h'],
  [5_400_000, '1h30m'],
  [86_400_000, '1d'],
  [93_784_005, '1d2h3m4s5ms'],
];

const sizes: Array<[bytes: number, text: string]> = [
  [0, '0'],
  [1, '1'],
  [1000, '1000'],
  [1024, '1KiB'],
  [1536, '1536'],
  [52_428_800, '50MiB'],
  [1024 ** 3, '1GiB'],
  [3 * 1024 ** 3, '3GiB'],
];

describe('formatDuration', () => {
  for (const [ms, text] of durations) {
    test(`${ms} ms -> ${text}, read back exactly`, () => {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    });
  }
});

describe('formatSize', () => {
  for (const [bytes, text] of sizes) {
    test(`${bytes} bytes -> ${text}, read back exactly`, () => {
      assert.equal(formatSize(bytes), text);
      assert.equal(parseSize(text), bytes);
    });
  }
});
