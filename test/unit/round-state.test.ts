import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeSettledEntry,
  encodeSettledEntry,
  fleetRoundSummary,
  historySummary,
  newRoundState,
  parseRoundState,
  roundStateFields,
} from '../../core/fleet/round-state.js';
import type { UrlEntry } from '../../core/round/round-summary.js';

const base = {
  roundId: '2026-11-27T10-00-00-000Z-abcd1234',
  list: '/etc/image-loader/list.txt',
  startedAt: 1_800_000_000_000,
  trigger: 'schedule' as const,
  coordinator: 'central/42',
  driverJobId: 'repeat:every-interval:1',
};

describe('round state in a Redis hash', () => {
  test('a new round survives the trip through the hash', () => {
    const state = newRoundState(base);
    assert.deepEqual(parseRoundState(roundStateFields(state)), state);
  });
  test('counters the workers added and the list error are read back', () => {
    const fields = {
      ...roundStateFields(newRoundState(base)),
      downloaded: '7',
      unchanged: '3',
      failed: '2',
      bytesTransferred: '123456',
      skippedStarts: '1',
      rerunRequested: '1',
      listRead: '1',
      listError: '{"code":"IMG_ERR_LIST_UNREADABLE","message":"HTTP 503"}',
    };
    const state = parseRoundState(fields)!;
    assert.deepEqual(
      [state.downloaded, state.unchanged, state.failed, state.bytesTransferred, state.skippedStarts],
      [7, 3, 2, 123456, 1],
    );
    assert.equal(state.rerunRequested, true);
    assert.equal(state.listRead, true);
    assert.deepEqual(state.listError, { code: 'IMG_ERR_LIST_UNREADABLE', message: 'HTTP 503' });
  });
  const broken: Array<[what: string, fields: Record<string, string>]> = [
    ['an empty hash (the round was deleted)', {}],
    ['no startedAt', { roundId: 'x' }],
    ['no roundId', { startedAt: '1' }],
  ];
  for (const [what, fields] of broken)
    test(`${what} is no round`, () => assert.equal(parseRoundState(fields), undefined));
  test('garbage numbers read as 0, a garbage list error is kept as its text', () => {
    const state = parseRoundState({ roundId: 'x', startedAt: '5', downloaded: 'NaN', listError: 'oops' })!;
    assert.equal(state.downloaded, 0);
    assert.deepEqual(state.listError, { code: 'unknown', message: 'oops' });
  });
});

describe('settled entries', () => {
  const entries: Array<Omit<UrlEntry, 'line'>> = [
    {
      url: 'https://example.com/a.png',
      status: 'downloaded',
      path: 'example.com/a.png',
      sha256: 'ab'.repeat(32),
      bytes: 10,
      contentType: 'image/png',
      attempts: 1,
    },
    {
      url: 'https://example.com/tab\there.png',
      status: 'failed',
      attempts: 3,
      error: { code: 'IMG_ERR_HTTP_STATUS', message: 'HTTP 503', status: 503 },
    },
  ];
  for (const [i, entry] of entries.entries()) {
    test(`round trip ${i}, with the line first in the entry`, () => {
      const decoded = decodeSettledEntry(encodeSettledEntry(42, entry))!;
      assert.deepEqual(decoded, { ...entry, line: 42 });
      assert.deepEqual(Object.keys(decoded).slice(0, 2), ['url', 'line']);
    });
  }
  for (const text of ['', '\t{}', 'x\t{}', '12\tnot json', 'no tab']) {
    test(`${JSON.stringify(text)} is skipped, not a crash`, () => assert.equal(decodeSettledEntry(text), undefined));
  }
});

describe('fleet round summaries', () => {
  const entries: UrlEntry[] = [
    { url: 'u3', line: 3, status: 'failed', error: { code: 'IMG_ERR_HTTP_STATUS', message: '404' } },
    { url: 'u1', line: 1, status: 'downloaded', path: 'p1', bytes: 5 },
    { url: 'u2', line: 2, status: 'unchanged', path: 'p2', bytes: 5 },
    { url: 'bad', line: 4, status: 'failed', error: { code: 'IMG_ERR_INVALID_URL', message: 'line 4: nope' } },
  ];
  const state = {
    ...newRoundState({ ...base, trigger: 'manual' }),
    invalidLines: 1,
    bytesTransferred: 5,
    skippedStarts: 2,
  };

  test('has the fetch --json shape, sorted by line, plus trigger and skipped starts', () => {
    const summary = fleetRoundSummary(state, entries, [{ url: 'u1', line: 5, firstLine: 1 }], base.startedAt + 1500);
    assert.equal(summary.schema, 'image-loader/round@1');
    assert.deepEqual(
      summary.entries.map((e) => e.line),
      [1, 2, 3, 4],
    );
    assert.deepEqual(summary.counts, {
      total: 4,
      downloaded: 1,
      unchanged: 1,
      fresh: 0,
      failed: 2,
      invalidLines: 1,
      duplicates: 1,
    });
    assert.deepEqual(summary.failuresByCode, { IMG_ERR_HTTP_STATUS: 1, IMG_ERR_INVALID_URL: 1 });
    assert.equal(summary.durationMs, 1500);
    assert.equal(summary.trigger, 'manual');
    assert.equal(summary.skippedStarts, 2);
    assert.equal('listError' in summary, false);
  });

  test('the history keeps only failures, up to a cap, with exact counts', () => {
    const many: UrlEntry[] = Array.from({ length: 30 }, (_, i) => ({
      url: `u${i}`,
      line: i + 1,
      status: i % 3 === 0 ? 'downloaded' : 'failed',
      error: { code: 'IMG_ERR_CONNECTION', message: 'reset' },
    }));
    const summary = fleetRoundSummary(state, many, [], base.startedAt + 1);
    const kept = historySummary(summary, 5);
    assert.equal(kept.entries.length, 5);
    assert.ok(kept.entries.every((e) => e.status === 'failed'));
    assert.equal(kept.entriesKept, 'failed');
    assert.deepEqual(kept.counts, summary.counts);
    assert.equal(kept.failuresByCode.IMG_ERR_CONNECTION, 20);
  });
});
