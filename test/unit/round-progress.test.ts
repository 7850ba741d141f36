import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatRoundProgress, roundProgress } from '../../coordinator/round-progress.js';
import { newRoundState } from '../../core/fleet/round-state.js';
import { formatHumanSummary } from '../../core/round/human-summary.js';
import type { RoundSummary } from '../../core/round/round-summary.js';

describe('status output', () => {
  const state = {
    ...newRoundState({
      roundId: 'r9',
      list: 'list.txt',
      startedAt: Date.parse('2026-11-27T12:00:00Z'),
      trigger: 'schedule',
      coordinator: 'central/1',
      driverJobId: 'j',
    }),
    urls: 10,
    invalidLines: 1,
    downloaded: 4,
    unchanged: 2,
    failed: 1,
    bytesTransferred: 2048,
    skippedStarts: 1,
  };

  test('the round in progress: counts, pending, failures by code, skipped starts', () => {
    const text = formatRoundProgress(
      roundProgress(state, 4, { IMG_ERR_HTTP_STATUS: 1 }),
      Date.parse('2026-11-27T12:00:30Z'),
    );
    assert.match(
      text,
      /^Round in progress: r9 \(schedule\), started 2026-11-27T12:00:00.000Z, 30 s ago, by central\/1\n/,
    );
    assert.match(
      text,
      /11 enqueued so far \(still reading the list\): 4 downloaded, 2 unchanged, 1 failed, 4 pending; 2.0 KiB received/,
    );
    assert.match(text, /failed so far: IMG_ERR_HTTP_STATUS 1/);
    assert.match(text, /1 start\(s\) skipped while it runs/);
  });

  test('a summary whose entries were trimmed (the history) still counts failures from failuresByCode', () => {
    const summary = {
      schema: 'image-loader/round@1',
      roundId: 'r',
      list: 'l',
      startedAt: '',
      finishedAt: '',
      durationMs: 1000,
      counts: { total: 25, downloaded: 0, unchanged: 0, failed: 25, invalidLines: 0, duplicates: 0 },
      bytesTransferred: 0,
      failuresByCode: { IMG_ERR_CONNECTION: 25 },
      entries: Array.from({ length: 12 }, (_, i) => ({
        url: `u${i}`,
        line: i + 1,
        status: 'failed' as const,
        error: { code: 'IMG_ERR_CONNECTION', message: 'reset' },
      })),
      duplicates: [],
    } satisfies RoundSummary;
    const text = formatHumanSummary(summary);
    assert.match(text, /IMG_ERR_CONNECTION \(25\)/);
    assert.match(text, /\.\.\. and 15 more/);
    assert.doesNotMatch(text, /Store:/);
  });
});
