import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredImage } from '../../core/download/downloader.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import type { ListEntry } from '../../core/list/read-url-list.js';
import { formatHumanSummary } from '../../core/round/human-summary.js';
import { ListProblemCap } from '../../core/round/list-problem-cap.js';
import { type RoundEvent, runRound } from '../../core/round/run-round.js';

describe('ListProblemCap', () => {
  test('lists the first `limit` invalid lines and duplicates, each kind on its own, and counts the rest by code', () => {
    const cap = new ListProblemCap(2);
    const invalid = ['A', 'B', 'A', 'A', 'C'].map((code) => cap.admitInvalid(code));
    const duplicates = [1, 2, 3].map(() => cap.admitDuplicate());
    assert.deepEqual(invalid, [true, true, false, false, false]);
    assert.deepEqual(duplicates, [true, true, false]);
    assert.deepEqual(cap.omittedByCode, { A: 2, C: 1 });
    assert.equal(cap.omittedInvalidLines, 3);
    assert.equal(cap.omittedDuplicates, 1);
  });
});

describe('runRound: invalid lines and duplicates past the cap', () => {
  const image = (url: string): StoredImage => ({
    status: 'downloaded',
    path: new URL(url).pathname.slice(1),
    sha256: 'x',
    bytes: 1,
    contentType: 'image/png',
    transferred: 1,
    fresh: false,
  });

  async function round(
    items: ListEntry[],
    listedProblems: number,
  ): Promise<{ summary: Awaited<ReturnType<typeof runRound>>; events: RoundEvent[] }> {
    const events: RoundEvent[] = [];
    const summary = await runRound({
      listName: 'list.txt',
      entries: (async function* () {
        yield* items;
      })(),
      download: async (url) => image(url),
      concurrency: 2,
      retries: 0,
      listedProblems,
      onEvent: (event) => events.push(event),
    });
    return { summary, events };
  }

  const items: ListEntry[] = [
    { kind: 'url', url: 'http://a.example/1.png', line: 1 },
    ...[2, 3, 4, 5, 6].map(
      (line): ListEntry => ({
        kind: 'invalid',
        line,
        raw: `bad ${line}`,
        code: line % 2 ? ErrorCode.UnsupportedScheme : ErrorCode.InvalidUrl,
        reason: 'r',
      }),
    ),
    { kind: 'url', url: 'http://a.example/2.png', line: 7 },
    ...[8, 9, 10].map((line): ListEntry => ({ kind: 'duplicate', url: 'http://a.example/1.png', line, firstLine: 1 })),
  ];

  test('counts stay exact; entries, duplicates and events list only the first ones; `omitted` says how many are missing', async () => {
    const { summary, events } = await round(items, 2);
    assert.deepEqual(summary.counts, {
      total: 7,
      downloaded: 2,
      unchanged: 0,
      fresh: 0,
      failed: 5,
      invalidLines: 5,
      duplicates: 3,
    });
    assert.deepEqual(summary.failuresByCode, { IMG_ERR_INVALID_URL: 3, IMG_ERR_UNSUPPORTED_SCHEME: 2 });
    assert.deepEqual(
      summary.entries.map((entry) => entry.line),
      [1, 2, 3, 7],
    );
    assert.deepEqual(
      summary.duplicates.map((duplicate) => duplicate.line),
      [8, 9],
    );
    assert.deepEqual(summary.omitted, { invalidLines: 3, duplicates: 1 });
    assert.deepEqual(
      events.flatMap((event) => (event.type === 'invalid-line' || event.type === 'duplicate' ? [event.listed] : [])),
      [true, true, false, false, false, true, true, false],
    );
    assert.equal(events.filter((event) => event.type === 'entry').length, 7, 'progress still counts every entry');
    assert.match(
      formatHumanSummary(summary),
      /IMG_ERR_INVALID_URL \(3\)\n {4}line 2: bad 2: r\n {4}\.\.\. and 2 more \(--json lists the first 1, the rest are counted only\)/,
    );
  });

  test('under the cap nothing is omitted and the summary has no `omitted`', async () => {
    const { summary } = await round(items, 1000);
    assert.equal(summary.entries.length, 7);
    assert.equal(summary.duplicates.length, 3);
    assert.equal('omitted' in summary, false);
  });
});
