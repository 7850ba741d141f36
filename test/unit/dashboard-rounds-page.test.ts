import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type RoundRow, roundRows } from '../../coordinator/dashboard/round-rows.js';
import { niceCeiling, renderRoundsChart } from '../../coordinator/dashboard/rounds-chart.js';
import { formatDuration, ROUNDS_PAGE_CSP, renderRoundsPage } from '../../coordinator/dashboard/rounds-page.js';
import { escapeHtml } from '../../core/html/escape-html.js';

const NOW = new Date('2026-11-27T12:00:00.000Z');

function summary(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: 'image-loader/round@1',
    roundId: '2026-11-27T11-55-00-000Z-abcd1234',
    list: 'urls.txt',
    startedAt: '2026-11-27T11:55:00.000Z',
    finishedAt: '2026-11-27T11:55:04.200Z',
    durationMs: 4200,
    counts: { total: 12, downloaded: 7, unchanged: 3, failed: 2, invalidLines: 1, duplicates: 4 },
    bytesTransferred: 1536,
    failuresByCode: { IMG_ERR_HTTP_STATUS: 1, IMG_ERR_INVALID_URL: 1 },
    trigger: 'schedule',
    skippedStarts: 0,
    entries: [],
    duplicates: [],
    ...overrides,
  };
}

/** Text that would do harm if it reached the page unescaped. */
const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "' onmouseover='alert(3)",
  '</title><script>alert(4)</script>',
  '<svg onload=alert(5)>',
  ']]><!--',
];

const TAGS = new Set(
  'html head meta title style body header h1 nav a p figure svg line text polyline circle rect figcaption table thead tbody tr th td code br'.split(
    ' ',
  ),
);
const ATTRIBUTES = new Set(
  'lang charset name content http-equiv href class role xmlns viewBox aria-labelledby id x1 x2 y1 y2 x y text-anchor fill points cx cy r width height scope'.split(
    ' ',
  ),
);

/** Only the elements and attributes the page writes itself: whatever the data held stayed text. */
function assertInert(html: string): void {
  for (const [, name, attributes] of html.matchAll(/<([A-Za-z][A-Za-z0-9-]*)([^>]*)>/g)) {
    assert.ok(TAGS.has(name!), `unexpected element <${name}>`);
    // Every attribute value is quoted and holds no quote or angle bracket: nothing broke out of one.
    assert.match(attributes!, /^(\s+[^\s=/]+="[^"<>]*")*\s*\/?$/, `attributes of <${name}>: ${attributes}`);
    for (const [, attribute] of attributes!.matchAll(/\s+([^\s=/]+)="[^"]*"/g))
      assert.ok(ATTRIBUTES.has(attribute!), `unexpected attribute ${attribute} on <${name}>`);
  }
  assert.doesNotMatch(html, /<(script|img|iframe|object)/i);
}

describe('dashboard: escaping', () => {
  // [text, escaped]
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['a & b', 'a &amp; b'],
    ['<b>', '&lt;b&gt;'],
    [`"double" 'single'`, '&quot;double&quot; &#39;single&#39;'],
    ['&amp;', '&amp;amp;'],
    ['', ''],
  ];
  for (const [text, escaped] of cases) test(JSON.stringify(text), () => assert.equal(escapeHtml(text), escaped));
});

describe('dashboard: round rows from an untrusted history', () => {
  test('a summary becomes its row', () => {
    assert.deepEqual(
      roundRows([summary({ skippedStarts: 2, listError: { code: 'IMG_ERR_LIST_UNREADABLE', message: 'HTTP 500' } })]),
      [
        {
          roundId: '2026-11-27T11-55-00-000Z-abcd1234',
          trigger: 'schedule',
          startedAt: '2026-11-27T11:55:00.000Z',
          startedMs: Date.parse('2026-11-27T11:55:00.000Z'),
          durationMs: 4200,
          total: 12,
          downloaded: 7,
          unchanged: 3,
          failed: 2,
          invalidLines: 1,
          duplicates: 4,
          bytesTransferred: 1536,
          skippedStarts: 2,
          failures: [
            ['IMG_ERR_HTTP_STATUS', 1],
            ['IMG_ERR_INVALID_URL', 1],
          ],
          listError: 'IMG_ERR_LIST_UNREADABLE: HTTP 500',
          storeBytes: undefined,
          storeFiles: undefined,
          pruned: undefined,
        },
      ],
    );
  });

  test("a round that pruned: the store's size and what went", () => {
    const store = { liveFiles: 10, liveBytes: 5000, graceFiles: 2, graceBytes: 1000 };
    const [row] = roundRows([summary({ store, prune: { removedFiles: 3, removedBytes: 1500, durationMs: 5 } })]);
    assert.deepEqual([row!.storeBytes, row!.storeFiles, row!.pruned], [6000, 12, '3 files, 1500 bytes']);
    const [held] = roundRows([
      summary({
        store,
        prune: { removedFiles: 0, removedBytes: 0, durationMs: 5, held: { reason: 'over-max-delist' } },
      }),
    ]);
    assert.equal(held!.pruned, 'held: over-max-delist');
  });

  // [name, stored summary, fields of the row that follow]
  const cases: Array<[string, unknown, Partial<RoundRow>]> = [
    [
      'not an object at all',
      'garbage',
      { roundId: '', trigger: 'schedule', startedMs: undefined, durationMs: undefined, downloaded: 0, failures: [] },
    ],
    ['null', null, { roundId: '', downloaded: 0 }],
    ['an array', [1, 2], { roundId: '', downloaded: 0 }],
    [
      'counts of the wrong type',
      summary({ counts: { downloaded: '7', failed: -3, total: 1.5, unchanged: Number.MAX_VALUE } }),
      { downloaded: 0, failed: 0, total: 0, unchanged: 0 },
    ],
    ['counts missing', summary({ counts: undefined }), { downloaded: 0, failed: 0 }],
    ['a date that is not one', summary({ startedAt: 'yesterday' }), { startedAt: 'yesterday', startedMs: undefined }],
    ['a negative duration', summary({ durationMs: -5 }), { durationMs: undefined }],
    ['an object for an id', summary({ roundId: { toString: 'x' } }), { roundId: '' }],
    ['a very long id is cut', summary({ roundId: 'x'.repeat(5000) }), { roundId: `${'x'.repeat(200)}…` }],
    [
      'failure counts sorted, zero and junk dropped',
      summary({ failuresByCode: { B: 1, A: 5, C: 0, D: 'many', E: 1 } }),
      {
        failures: [
          ['A', 5],
          ['B', 1],
          ['E', 1],
        ],
      },
    ],
    ['failures not an object', summary({ failuresByCode: 'lots' }), { failures: [] }],
    [
      'at most 20 codes',
      summary({ failuresByCode: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`C${i}`, i + 1])) }),
      {},
    ],
  ];
  for (const [name, stored, expected] of cases) {
    test(name, () => {
      const [row] = roundRows([stored]);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(row![key as keyof RoundRow], value, key);
      assert.ok(row!.failures.length <= 20);
    });
  }
});

describe('dashboard: rounds page and chart', () => {
  test('hostile round data comes out inert, in the table and in the chart', () => {
    for (const text of HOSTILE) {
      const rows = roundRows([
        summary({
          roundId: text,
          trigger: text,
          startedAt: '2026-11-27T11:00:00.000Z',
          failuresByCode: { [text]: 3 },
          listError: { code: text, message: text },
        }),
        summary({ roundId: `${text}2`, startedAt: text }),
        summary({ roundId: `${text}3`, startedAt: '2026-11-27T11:50:00.000Z' }),
      ]);
      const page = renderRoundsPage({ rows, inProgress: undefined, error: undefined, now: NOW });
      assertInert(page);
      assert.ok(page.includes(escapeHtml(text)), 'the text is shown, escaped');
      const chart = renderRoundsChart(rows);
      assertInert(chart);
      assert.ok(chart.includes(escapeHtml(text)), 'the tooltip names the round, escaped');
    }
  });

  test('an error message and a round in progress with hostile text are escaped too', () => {
    for (const text of HOSTILE) {
      const inProgress = {
        roundId: text,
        startedAt: text,
        trigger: 'manual' as const,
        list: text,
        coordinator: text,
        enqueued: 3,
        listRead: false,
        pending: 1,
        downloaded: 1,
        unchanged: 1,
        failed: 0,
        bytesTransferred: 0,
        failuresByCode: {},
        skippedStarts: 0,
      };
      assertInert(renderRoundsPage({ rows: [], inProgress, error: undefined, now: NOW }));
      assertInert(renderRoundsPage({ rows: [], inProgress: undefined, error: `Redis said ${text}`, now: NOW }));
    }
  });

  test('the page: counts, durations, failures by reason, the chart', () => {
    const rows = roundRows([
      summary(),
      summary({
        roundId: 'older',
        startedAt: '2026-11-27T11:50:00.000Z',
        durationMs: 125_000,
        counts: { total: 5, downloaded: 5, unchanged: 0, failed: 0, invalidLines: 0, duplicates: 0 },
        failuresByCode: {},
      }),
    ]);
    const page = renderRoundsPage({ rows, inProgress: undefined, error: undefined, now: NOW });
    assert.match(
      page,
      /<td><code>2026-11-27T11-55-00-000Z-abcd1234<\/code><\/td><td class="text">schedule<\/td><td class="text">2026-11-27T11:55:00.000Z<\/td><td>4.2 s<\/td><td>12<\/td><td>7<\/td><td>3<\/td><td class="failed-some">2<\/td><td>1<\/td><td>4<\/td><td>1.5 KiB<\/td><td><\/td><td class="text"><\/td><td class="text"><code>IMG_ERR_HTTP_STATUS<\/code> 1<br><code>IMG_ERR_INVALID_URL<\/code> 1<\/td>/,
    );
    assert.match(page, /<td>2 min 05 s<\/td>/);
    assert.match(page, /<svg [^>]*viewBox="0 0 800 260"/);
    assert.match(page, /No round in progress/);
    assert.match(page, /<meta http-equiv="refresh" content="30">/);
  });

  test('no rounds yet: says so, no chart', () => {
    const page = renderRoundsPage({ rows: [], inProgress: undefined, error: undefined, now: NOW });
    assert.match(page, /No round has completed yet/);
    assert.doesNotMatch(page, /<svg/);
  });

  test('an error replaces the history', () => {
    const page = renderRoundsPage({
      rows: roundRows([summary()]),
      inProgress: undefined,
      error: 'Redis unreachable: no answer within 3 s.',
      now: NOW,
    });
    assert.match(page, /<p class="error" role="alert">Redis unreachable: no answer within 3 s.<\/p>/);
    assert.doesNotMatch(page, /<svg|<table/);
  });

  test('the chart: one point a round by start time, oldest left, y axis to a round number', () => {
    const rows = roundRows([
      summary({ roundId: 'c', startedAt: '2026-11-27T11:10:00.000Z', counts: { downloaded: 0, failed: 3 } }),
      summary({ roundId: 'b', startedAt: '2026-11-27T11:05:00.000Z', counts: { downloaded: 7, failed: 0 } }),
      summary({ roundId: 'a', startedAt: '2026-11-27T11:00:00.000Z', counts: { downloaded: 10, failed: 1 } }),
      summary({ roundId: 'undated', startedAt: 'never' }),
    ]);
    const chart = renderRoundsChart(rows);
    const points = (series: string): string =>
      chart.match(new RegExp(`<polyline class="${series}" fill="none" points="([^"]+)"`))![1]!;
    // x from 56 to 784 over 10 minutes; y from 224 (0) to 28 (10).
    assert.equal(points('downloaded'), '56.0,28.0 420.0,86.8 784.0,224.0');
    assert.equal(points('failed'), '56.0,204.4 420.0,224.0 784.0,165.2');
    assert.equal(chart.match(/<circle /g)?.length, 6, 'the undated round is left out');
    assert.match(chart, /<title>a \(2026-11-27 11:00\): 10 downloaded, 1 failed<\/title>/);
    assert.match(chart, />2026-11-27 11:00<\/text>/);
    assert.match(chart, />2026-11-27 11:10<\/text>/);
    assert.match(chart, />10<\/text>/);
  });

  test('one round: a point in the middle; no dated round: no chart', () => {
    assert.match(renderRoundsChart(roundRows([summary()])), /points="420\.0,/);
    assert.equal(renderRoundsChart(roundRows([summary({ startedAt: 'x' })])), '');
    assert.equal(renderRoundsChart([]), '');
  });

  test("the page's CSP allows its own stylesheet by hash and nothing else", () => {
    assert.match(
      ROUNDS_PAGE_CSP,
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
  });

  // [value, nice ceiling]
  const ceilings: Array<[number, number]> = [
    [1, 1],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [150, 200],
    [999, 1000],
    [0.3, 0.5],
  ];
  for (const [value, ceiling] of ceilings)
    test(`nice ceiling of ${value}`, () => assert.equal(niceCeiling(value), ceiling));

  // [ms, text]
  const durations: Array<[number, string]> = [
    [0, '0 ms'],
    [850, '850 ms'],
    [4200, '4.2 s'],
    [125_000, '2 min 05 s'],
    [3_600_000, '1 h 00 min'],
    [7_380_000, '2 h 03 min'],
  ];
  for (const [ms, text] of durations) test(`duration ${ms}`, () => assert.equal(formatDuration(ms), text));
});
