import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FreshnessHeaders, freshUntil } from '../../core/download/freshness.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const http = (ms: number): string => new Date(ms).toUTCString();
const S = 1000;
const HOUR = 3_600_000;

// [name, headers, fresh until (ms after NOW), or undefined: revalidate every round]
const cases: Array<[name: string, headers: FreshnessHeaders, freshForMs: number | undefined]> = [
  ['no caching headers', {}, undefined],
  ['max-age', { cacheControl: 'max-age=60' }, 60 * S],
  ['max-age among other directives', { cacheControl: 'public, max-age=3600, immutable' }, HOUR],
  ['directive names are case-insensitive', { cacheControl: 'Public, MAX-AGE=60' }, 60 * S],
  ['quoted max-age', { cacheControl: 'max-age="60"' }, 60 * S],
  ['spaces around max-age', { cacheControl: ' max-age = 60 ' }, 60 * S],
  ['private is fine for our private cache', { cacheControl: 'private, max-age=60' }, 60 * S],
  ['must-revalidate with a lifetime', { cacheControl: 'max-age=60, must-revalidate' }, 60 * S],
  ['max-age=0', { cacheControl: 'max-age=0' }, undefined],
  ['max-age=0 with must-revalidate', { cacheControl: 'max-age=0, must-revalidate' }, undefined],
  ['no-cache', { cacheControl: 'no-cache' }, undefined],
  ['no-cache beats max-age', { cacheControl: 'max-age=600, no-cache' }, undefined],
  ['no-store', { cacheControl: 'no-store' }, undefined],
  ['no-store beats max-age', { cacheControl: 'no-store, max-age=600' }, undefined],
  ['no-cache beats Expires', { cacheControl: 'no-cache', expires: http(NOW + HOUR) }, undefined],
  ['s-maxage is for shared caches only', { cacheControl: 's-maxage=600' }, undefined],
  ['invalid max-age without Expires', { cacheControl: 'max-age=soon' }, undefined],
  ['negative max-age without Expires', { cacheControl: 'max-age=-5' }, undefined],
  ['first of duplicate max-age', { cacheControl: 'max-age=60, max-age=3600' }, 60 * S],
  ['max-age beats Expires', { cacheControl: 'max-age=60', expires: http(NOW + HOUR) }, 60 * S],
  ['max-age=0 beats Expires', { cacheControl: 'max-age=0', expires: http(NOW + HOUR) }, undefined],
  ['Expires without Date: from the response time', { expires: http(NOW + 120 * S) }, 120 * S],
  [
    "Expires with Date: lifetime from the server's clock",
    { expires: http(NOW + 86_400_000 + 60 * S), date: http(NOW + 86_400_000) },
    60 * S,
  ],
  ['Expires with Date behind our clock', { expires: http(NOW - HOUR + 90 * S), date: http(NOW - HOUR) }, 90 * S],
  ['Expires equal to Date', { expires: http(NOW), date: http(NOW) }, undefined],
  ['Expires in the past', { expires: http(NOW - HOUR) }, undefined],
  [
    'Expires with an unparseable Date uses the response time',
    { expires: http(NOW + 30 * S), date: 'yesterday-ish' },
    30 * S,
  ],
  ['invalid Expires', { expires: 'never' }, undefined],
  ['Expires "0"', { expires: '0' }, undefined],
  ['Expires "-1"', { expires: '-1' }, undefined],
  ['Expires in seconds is not a date', { expires: '3600' }, undefined],
  ['Expires "0" even with a Date', { expires: '0', date: http(NOW) }, undefined],
  ['Age is subtracted', { cacheControl: 'max-age=60', age: '10' }, 50 * S],
  ['Age with whitespace', { cacheControl: 'max-age=60', age: ' 10 ' }, 50 * S],
  ['Age equal to max-age', { cacheControl: 'max-age=60', age: '60' }, undefined],
  ['Age beyond max-age', { cacheControl: 'max-age=60', age: '600' }, undefined],
  ['invalid Age ignored', { cacheControl: 'max-age=60', age: 'old' }, 60 * S],
  ['Age with Expires', { expires: http(NOW + 100 * S), date: http(NOW), age: '40' }, 60 * S],
];

describe('freshUntil', () => {
  for (const [name, headers, freshForMs] of cases) {
    test(name, () => {
      assert.equal(freshUntil(headers, NOW), freshForMs === undefined ? undefined : NOW + freshForMs);
    });
  }
});
