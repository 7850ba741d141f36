import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decideRange, MAX_RANGE_SPECS, type RangeDecision, type RangeRequest } from '../../web/range-policy.js';

const SIZE = 1000;
const ETAG = '"abc-rs-xyz"';
const MTIME_MS = Date.parse('2026-11-27T12:00:00.500Z');
const base: RangeRequest = { size: SIZE, range: undefined, ifRange: undefined, etag: ETAG, mtimeMs: MTIME_MS };
const partial = (start: number, end: number): RangeDecision => ({ kind: 'partial', start, end });
const whole = (why: Extract<RangeDecision, { kind: 'whole' }>['why']): RangeDecision => ({ kind: 'whole', why });
const unsatisfiable: RangeDecision = { kind: 'unsatisfiable' };

describe('decideRange', () => {
  const cases: Array<[what: string, input: Partial<RangeRequest>, expected: RangeDecision]> = [
    ['no Range header', {}, whole('no range')],
    ['one range', { range: 'bytes=10-19' }, partial(10, 19)],
    ['an open range', { range: 'bytes=990-' }, partial(990, 999)],
    ['a suffix', { range: 'bytes=-10' }, partial(990, 999)],
    ['the unit in capitals, spaces around the ranges', { range: 'Bytes= 10-19 ' }, partial(10, 19)],
    // RFC 9110 §14.1.2: a last position past the end means "to the end"; a suffix longer than the file, all of it.
    ['an absurd last position', { range: 'bytes=0-99999999999999999999' }, partial(0, 999)],
    ['a 400-digit last position', { range: `bytes=5-${'9'.repeat(400)}` }, partial(5, 999)],
    ['a suffix longer than the file', { range: 'bytes=-99999999999999999999' }, partial(0, 999)],
    ['the last byte exactly', { range: 'bytes=999-999' }, partial(999, 999)],
    // Overlapping and adjacent ranges are one range; ranges that stay apart get the whole file, never a multipart body.
    ['overlapping ranges', { range: 'bytes=0-499,100-599,200-299' }, partial(0, 599)],
    ['the same range a hundred times', { range: `bytes=${Array(100).fill('0-999').join(',')}` }, partial(0, 999)],
    ['adjacent ranges', { range: 'bytes=0-9,10-19,20-29' }, partial(0, 29)],
    ['two ranges apart', { range: 'bytes=0-1,100-101' }, whole('several ranges')],
    [
      'one byte in two, up to the limit',
      { range: `bytes=${Array.from({ length: MAX_RANGE_SPECS }, (_, i) => `${2 * i}-${2 * i}`).join(',')}` },
      whole('several ranges'),
    ],
    [
      'one byte in two, past the limit',
      { range: `bytes=${Array.from({ length: MAX_RANGE_SPECS + 1 }, (_, i) => `${2 * i}-${2 * i}`).join(',')}` },
      whole('too many ranges'),
    ],
    [
      'past the limit, even if it would merge into one',
      {
        range: `bytes=${Array(MAX_RANGE_SPECS + 1)
          .fill('0-0')
          .join(',')}`,
      },
      whole('too many ranges'),
    ],
    ['an unsatisfiable range beside a good one', { range: 'bytes=5000-6000,0-9' }, partial(0, 9)],
    ['empty list elements', { range: 'bytes=,10-19,,' }, partial(10, 19)],
    // Nothing inside the file: 416.
    ['a start past the end', { range: 'bytes=1000-' }, unsatisfiable],
    ['an absurd start', { range: 'bytes=99999999999999999999-' }, unsatisfiable],
    ['a zero-length suffix', { range: 'bytes=-0' }, unsatisfiable],
    ['every range past the end', { range: 'bytes=1000-1001,2000-2001' }, unsatisfiable],
    // What RFC 9110 §14.2 lets a server ignore: the whole file.
    ['another unit', { range: 'items=0-5' }, whole('not bytes')],
    ['no "="', { range: 'bytes 0-5' }, whole('malformed')],
    ['nothing after "="', { range: 'bytes=' }, whole('malformed')],
    ['only commas', { range: 'bytes=,,,' }, whole('malformed')],
    ['a lone dash', { range: 'bytes=-' }, whole('malformed')],
    ['a negative start', { range: 'bytes=--5' }, whole('malformed')],
    ['a negative end', { range: 'bytes=0--5' }, whole('malformed')],
    ['a reversed range', { range: 'bytes=20-10' }, whole('malformed')],
    ['a reversed range beside a good one', { range: 'bytes=0-9,20-10' }, whole('malformed')],
    ['letters', { range: 'bytes=a-b' }, whole('malformed')],
    ['a fraction', { range: 'bytes=1.5-3' }, whole('malformed')],
    ['an exponent', { range: 'bytes=1e3-' }, whole('malformed')],
    ['hexadecimal', { range: 'bytes=0x10-0x20' }, whole('malformed')],
    ['a space inside a range', { range: 'bytes=0 - 9' }, whole('malformed')],
    ['a plus sign', { range: 'bytes=+5-9' }, whole('malformed')],
    ['an empty file', { size: 0, range: 'bytes=0-0' }, whole('empty file')],
    // If-Range: the range holds only for the very version asked about.
    ['If-Range with the current ETag', { range: 'bytes=10-19', ifRange: ETAG }, partial(10, 19)],
    ['If-Range with another ETag', { range: 'bytes=10-19', ifRange: '"another"' }, whole('if-range mismatch')],
    ['If-Range with a weak ETag', { range: 'bytes=10-19', ifRange: `W/${ETAG}` }, whole('if-range mismatch')],
    [
      'If-Range with the Last-Modified date',
      { range: 'bytes=10-19', ifRange: new Date(MTIME_MS).toUTCString() },
      partial(10, 19),
    ],
    [
      'If-Range with an older date',
      { range: 'bytes=10-19', ifRange: new Date(MTIME_MS - 60_000).toUTCString() },
      whole('if-range mismatch'),
    ],
    ['If-Range that is neither', { range: 'bytes=10-19', ifRange: 'yesterday' }, whole('if-range mismatch')],
    [
      'If-Range with another version beats an unsatisfiable range',
      { range: 'bytes=5000-', ifRange: '"another"' },
      whole('if-range mismatch'),
    ],
  ];
  for (const [what, input, expected] of cases) {
    test(`${what}: ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(decideRange({ ...base, ...input }), expected);
    });
  }

  // A fixed seed, as in fuzz-properties.test.ts: reproducible in CI; FUZZ_SEED / FUZZ_RUNS explore further by hand.
  const parameters = { seed: Number(process.env.FUZZ_SEED ?? 20261128), numRuns: Number(process.env.FUZZ_RUNS ?? 500) };
  // Mostly well-formed ranges (or every header would be ignored as malformed), some junk, lists short and long.
  const position = fc.oneof(
    { arbitrary: fc.nat({ max: 6 * SIZE }), weight: 8 },
    { arbitrary: fc.constant(''), weight: 3 },
    { arbitrary: fc.constantFrom('99999999999999999999', '-1', 'x', ' 7'), weight: 1 },
  );
  const spec = fc.oneof(
    {
      arbitrary: fc
        .tuple(fc.nat({ max: 6 * SIZE }), fc.nat({ max: 2 * SIZE }))
        .map(([a, length]) => `${a}-${a + length}`),
      weight: 20,
    },
    { arbitrary: fc.tuple(position, position).map(([a, b]) => `${a}-${b}`), weight: 10 },
    { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
  );
  const specs = fc.oneof(
    fc.array(spec, { minLength: 1, maxLength: 4 }),
    fc.array(spec, { maxLength: MAX_RANGE_SPECS + 20 }),
  );
  const header = fc
    .tuple(fc.constantFrom('bytes=', 'bytes=', 'bytes=', 'BYTES=', 'items=', 'bytes'), specs)
    .map(([unit, list]) => unit + list.join(','));

  test('whatever the header, a partial answer lies inside the file: no answer is larger than the file', () => {
    fc.assert(
      fc.property(header, fc.integer({ min: 1, max: 5 * SIZE }), (range, size) => {
        const decision = decideRange({ ...base, size, range });
        if (decision.kind === 'partial') {
          assert.ok(
            Number.isSafeInteger(decision.start) && Number.isSafeInteger(decision.end),
            JSON.stringify(decision),
          );
          assert.ok(
            decision.start >= 0 && decision.start <= decision.end && decision.end <= size - 1,
            `${range}: ${JSON.stringify(decision)}`,
          );
        }
      }),
      parameters,
    );
  });
});
