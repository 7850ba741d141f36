/** What to send for a request that may carry Range (and If-Range). */
export type RangeDecision =
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' }
  | { kind: 'whole'; why: WholeReason };

/** Why the whole file is sent, for tests and for anyone reading a 200 answered to a Range request. */
export type WholeReason =
  | 'no range'
  | 'if-range mismatch'
  | 'not bytes'
  | 'malformed'
  | 'too many ranges'
  | 'several ranges'
  | 'empty file';

export interface RangeRequest {
  /** The file's length in bytes. */
  size: number;
  /** The Range header, as received. */
  range: string | undefined;
  /** The If-Range header, as received. */
  ifRange: string | undefined;
  /** The file's (strong) ETag and modification time, which If-Range is compared with. */
  etag: string;
  mtimeMs: number;
}

/**
 * More range-specs than this and the header is not even parsed: the whole
 * file is sent. Apache's MaxRanges default; an image viewer or a resuming
 * download sends one, and a header of thousands of tiny ranges is the
 * denial-of-service pattern RFC 9110 §14.2 allows a server to ignore.
 */
export const MAX_RANGE_SPECS = 200;

/**
 * Decides how to answer a Range request (RFC 9110 §14), before any byte is
 * read. At most one range is ever served: several ranges that do not merge
 * into one get the whole file with 200, never a multipart response, so no
 * header can make the answer larger than the file (overlapping ranges in a
 * multipart answer would repeat its bytes as often as asked). What the RFC
 * lets a server ignore (an unknown unit, a malformed or reversed range,
 * too many ranges) gets the whole file; only a well-formed header none of
 * whose ranges falls inside the file gets 416. Numbers of any length are
 * accepted: a last position beyond the end means "to the end", a suffix
 * longer than the file means all of it (range-parser answered 416 there).
 */
export function decideRange(request: RangeRequest): RangeDecision {
  const { size, range } = request;
  if (range === undefined) return { kind: 'whole', why: 'no range' };
  if (!ifRangeHolds(request.ifRange, request.etag, request.mtimeMs)) return { kind: 'whole', why: 'if-range mismatch' };
  const equals = range.indexOf('=');
  if (equals === -1) return { kind: 'whole', why: 'malformed' };
  if (range.slice(0, equals).trim().toLowerCase() !== 'bytes') return { kind: 'whole', why: 'not bytes' };
  if (size === 0) return { kind: 'whole', why: 'empty file' };
  const specs = range.slice(equals + 1).split(',');
  if (specs.length > MAX_RANGE_SPECS) return { kind: 'whole', why: 'too many ranges' };

  const satisfiable: Array<{ start: number; end: number }> = [];
  let seen = 0;
  for (const raw of specs) {
    const spec = raw.trim();
    // The list syntax allows empty elements (`bytes=0-1,,5-6`); they are skipped, not errors.
    if (spec === '') continue;
    seen++;
    const match = /^(\d*)-(\d*)$/.exec(spec);
    if (match === null || (match[1] === '' && match[2] === '')) return { kind: 'whole', why: 'malformed' };
    // Number() of a 400-digit position is Infinity: still ordered right against the size, and never sent.
    const first = match[1] === '' ? undefined : Number(match[1]);
    const last = match[2] === '' ? undefined : Number(match[2]);
    if (first === undefined) {
      // A suffix: the last `last` bytes; "-0" asks for nothing, so it cannot be satisfied.
      if (last! > 0) satisfiable.push({ start: Math.max(0, size - last!), end: size - 1 });
      continue;
    }
    if (last !== undefined && last < first) return { kind: 'whole', why: 'malformed' };
    if (first < size) satisfiable.push({ start: first, end: Math.min(last ?? size - 1, size - 1) });
  }
  if (seen === 0) return { kind: 'whole', why: 'malformed' };
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  const merged = mergeRanges(satisfiable);
  if (merged.length > 1) return { kind: 'whole', why: 'several ranges' };
  return { kind: 'partial', start: merged[0]!.start, end: merged[0]!.end };
}

/** Overlapping and adjacent ranges as one (`0-4,5-9` is `0-9`). */
function mergeRanges(ranges: Array<{ start: number; end: number }>): Array<{ start: number; end: number }> {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged = [{ ...sorted[0]! }];
  for (const next of sorted.slice(1)) {
    const current = merged[merged.length - 1]!;
    if (next.start <= current.end + 1) current.end = Math.max(current.end, next.end);
    else merged.push({ ...next });
  }
  return merged;
}

/** If-Range: the range holds only for the same version (its ETag, or a date no older than the file). */
function ifRangeHolds(ifRange: string | undefined, etag: string, mtimeMs: number): boolean {
  if (ifRange === undefined) return true;
  if (ifRange.includes('"')) return ifRange.trim() === etag;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && Math.trunc(mtimeMs / 1000) * 1000 <= date;
}
