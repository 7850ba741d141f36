import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { RoundMetrics } from '../../core/metrics/round-metrics.js';
import { roundOutcomes, roundResult, storeSize } from '../../core/metrics/round-outcomes.js';
import type { RoundSummary } from '../../core/round/round-summary.js';

const counts = (downloaded: number, unchanged: number, failed: number, fresh?: number): RoundSummary['counts'] => ({
  total: downloaded + unchanged + failed,
  downloaded,
  unchanged,
  ...(fresh === undefined ? {} : { fresh }),
  failed,
  invalidLines: 0,
  duplicates: 0,
});

describe('round outcomes', () => {
  const cases: Array<[string, RoundSummary['counts'], ReturnType<typeof roundOutcomes>]> = [
    ['fresh ones apart from unchanged', counts(2, 5, 1, 3), { stored: 2, unchanged: 2, fresh: 3, failed: 1 }],
    ['a summary without counts.fresh', counts(2, 5, 1), { stored: 2, unchanged: 5, fresh: 0, failed: 1 }],
    ['an empty round', counts(0, 0, 0, 0), { stored: 0, unchanged: 0, fresh: 0, failed: 0 }],
  ];
  for (const [name, given, expected] of cases)
    test(name, () => assert.deepEqual(roundOutcomes({ counts: given }), expected));

  const results: Array<[string, Pick<RoundSummary, 'aborted' | 'listError'>, 'complete' | 'aborted']> = [
    ['complete', {}, 'complete'],
    ['stopped', { aborted: true }, 'aborted'],
    ['list unreadable', { listError: { code: 'IMG_ERR_LIST_UNREADABLE', message: 'x' } }, 'aborted'],
  ];
  for (const [name, given, expected] of results)
    test(`result: ${name}`, () => assert.equal(roundResult(given), expected));

  const sizes: Array<[string, Pick<RoundSummary, 'store'>, { bytes: number; files: number } | undefined]> = [
    [
      'the live part of the store field',
      { store: { liveBytes: 10, liveFiles: 2, graceBytes: 5, graceFiles: 1 } },
      { bytes: 10, files: 2 },
    ],
    ['no store field (a round that did not measure the store)', {}, undefined],
  ];
  for (const [name, given, expected] of sizes)
    test(`store size: ${name}`, () => assert.deepEqual(storeSize(given), expected));

  test('the store gauges appear once a summary reports the size', async () => {
    const registry = new Registry();
    const metrics = new RoundMetrics(registry);
    const summary = {
      roundId: 'r1',
      finishedAt: '2026-12-04T05:00:00.000Z',
      durationMs: 1500,
      counts: counts(1, 0, 0, 0),
      failuresByCode: {},
    } as unknown as RoundSummary;
    metrics.observeRound(summary);
    assert.doesNotMatch(await registry.metrics(), /image_loader_store_bytes/);
    metrics.observeRound({ ...summary, store: { liveBytes: 4096, liveFiles: 3, graceBytes: 0, graceFiles: 0 } });
    const text = await registry.metrics();
    assert.match(text, /^image_loader_store_bytes 4096$/m);
    assert.match(text, /^image_loader_store_files 3$/m);
    assert.match(text, /^image_loader_last_round_completed_timestamp_seconds 1796360400$/m);
  });
});
