import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRetryAfter, type RetryDelayOptions, retryDelayMs } from '../../core/download/retry-delay.js';

const ALMOST_ONE = 1 - Number.EPSILON;
const fixed = (value: number) => (): number => value;

// [name, attempt, retryAfterMs, random(), options, expected ms]
const delays: Array<
  [
    name: string,
    attempt: number,
    retryAfterMs: number | undefined,
    random: number,
    options: RetryDelayOptions,
    expected: number,
  ]
> = [
  ['first retry, lowest jitter', 1, undefined, 0, {}, 250],
  ['first retry, highest jitter', 1, undefined, ALMOST_ONE, {}, 500],
  ['first retry, middle jitter', 1, undefined, 0.5, {}, 375],
  ['second retry doubles, lowest', 2, undefined, 0, {}, 500],
  ['second retry doubles, highest', 2, undefined, ALMOST_ONE, {}, 1000],
  ['fifth retry', 5, undefined, ALMOST_ONE, {}, 8000],
  ['seventh retry is capped, lowest', 7, undefined, 0, {}, 15_000],
  ['seventh retry is capped, highest', 7, undefined, ALMOST_ONE, {}, 30_000],
  ['huge attempt stays capped', 2000, undefined, ALMOST_ONE, {}, 30_000],
  ['attempt 0 behaves like the first', 0, undefined, 0, {}, 250],
  ['custom base and cap', 5, undefined, ALMOST_ONE, { baseMs: 100, maxMs: 1000 }, 1000],
  ['custom base, below the cap', 3, undefined, 0, { baseMs: 100, maxMs: 1000 }, 200],
  ['Retry-After wins, no jitter', 1, 5000, 0.5, {}, 5000],
  ['Retry-After wins over a long backoff', 10, 1000, ALMOST_ONE, {}, 1000],
  ['Retry-After zero', 3, 0, ALMOST_ONE, {}, 0],
  ['negative Retry-After is now', 1, -10, 0.5, {}, 0],
  ['Retry-After beyond the default cap', 1, 600_000, 0.5, {}, 120_000],
  ['Retry-After exactly at the cap', 1, 120_000, 0.5, {}, 120_000],
  ['Retry-After with a custom cap', 1, 5000, 0.5, { maxRetryAfterMs: 1000 }, 1000],
  ["Retry-After may exceed maxMs (it is the server's word)", 1, 60_000, 0.5, { maxMs: 30_000 }, 60_000],
];

describe('retryDelayMs', () => {
  for (const [name, attempt, retryAfterMs, random, options, expected] of delays) {
    test(name, () => {
      assert.equal(retryDelayMs(attempt, retryAfterMs, fixed(random), options), expected);
    });
  }

  test('every delay lies between half and all of its capped step', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const step = Math.min(30_000, 500 * 2 ** (attempt - 1));
      for (const random of [0, 0.1, 0.25, 0.5, 0.75, 0.9, ALMOST_ONE]) {
        const delay = retryDelayMs(attempt, undefined, fixed(random), {});
        assert.ok(
          delay >= step / 2 && delay <= step,
          `attempt ${attempt}, random ${random}: ${delay} not in [${step / 2}, ${step}]`,
        );
      }
    }
  });

  test('jitter spreads a fleet: different random values give different delays', () => {
    const delays = new Set([0, 0.2, 0.4, 0.6, 0.8].map((random) => retryDelayMs(3, undefined, fixed(random), {})));
    assert.equal(delays.size, 5);
  });
});

const NOW = Date.parse('2025-01-01T00:00:00Z');

// [name, header value, expected ms from NOW]
const headers: Array<[name: string, value: string | undefined, expected: number | undefined]> = [
  ['absent', undefined, undefined],
  ['empty', '', undefined],
  ['blank', '   ', undefined],
  ['seconds', '120', 120_000],
  ['zero seconds', '0', 0],
  ['seconds with whitespace', ' 5 ', 5000],
  ['IMF-fixdate in the future', 'Wed, 01 Jan 2025 00:00:10 GMT', 10_000],
  ['RFC 850 date in the future', 'Wednesday, 01-Jan-25 00:01:00 GMT', 60_000],
  ['asctime date in the future', 'Wed Jan  1 00:00:30 2025', 30_000],
  ['date in the past is now', 'Tue, 31 Dec 2024 23:59:00 GMT', 0],
  ['garbage', 'soon', undefined],
  ['fractional seconds are not delay-seconds', '1.5', undefined],
  ['negative seconds', '-1', undefined],
  ['a number with a unit', '10s', undefined],
];

describe('parseRetryAfter', () => {
  for (const [name, value, expected] of headers) {
    test(`${name}: ${JSON.stringify(value)}`, () => {
      assert.equal(parseRetryAfter(value, NOW), expected);
    });
  }
});
