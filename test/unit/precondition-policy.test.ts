import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decidePreconditions,
  type PreconditionDecision,
  type PreconditionRequest,
} from '../../web/precondition-policy.js';

const ETAG = '"abc-rs-xyz"';
const MTIME_MS = Date.parse('2026-11-27T12:00:00.500Z');
// Last-Modified is sent in whole seconds: this is the date a client echoes.
const LAST_MODIFIED = 'Fri, 27 Nov 2026 12:00:00 GMT';
const BEFORE = 'Fri, 27 Nov 2026 11:59:59 GMT';
const AFTER = 'Fri, 27 Nov 2026 12:00:01 GMT';
const base: PreconditionRequest = {
  ifMatch: undefined,
  ifNoneMatch: undefined,
  ifModifiedSince: undefined,
  ifUnmodifiedSince: undefined,
  cacheControl: undefined,
  etag: ETAG,
  mtimeMs: MTIME_MS,
};
const proceed: PreconditionDecision = { kind: 'proceed' };
const failed = (by: 'if-match' | 'if-unmodified-since'): PreconditionDecision => ({ kind: 'precondition-failed', by });
const notModified = (by: 'if-none-match' | 'if-modified-since'): PreconditionDecision => ({ kind: 'not-modified', by });

describe('decidePreconditions (RFC 9110 §13.2.2)', () => {
  const cases: Array<[what: string, input: Partial<PreconditionRequest>, expected: PreconditionDecision]> = [
    ['no conditional header', {}, proceed],
    // Step 1: If-Match, strong comparison.
    ['If-Match: the current tag', { ifMatch: ETAG }, proceed],
    ['If-Match: *', { ifMatch: '*' }, proceed],
    ['If-Match: a list holding the current tag', { ifMatch: `"other", ${ETAG}` }, proceed],
    ['If-Match: another tag', { ifMatch: '"nope"' }, failed('if-match')],
    ['If-Match: the current tag, weak (never a strong match)', { ifMatch: `W/${ETAG}` }, failed('if-match')],
    ['If-Match: no valid tag at all', { ifMatch: 'nope' }, failed('if-match')],
    // Step 2: If-Unmodified-Since, only without If-Match.
    ['If-Unmodified-Since: before the file', { ifUnmodifiedSince: BEFORE }, failed('if-unmodified-since')],
    ['If-Unmodified-Since: its Last-Modified', { ifUnmodifiedSince: LAST_MODIFIED }, proceed],
    ['If-Unmodified-Since: after the file', { ifUnmodifiedSince: AFTER }, proceed],
    ['If-Unmodified-Since: not a date (ignored)', { ifUnmodifiedSince: 'yesterday' }, proceed],
    ['If-Match holds: If-Unmodified-Since is not looked at', { ifMatch: ETAG, ifUnmodifiedSince: BEFORE }, proceed],
    // Step 3: If-None-Match, weak comparison.
    ['If-None-Match: the current tag', { ifNoneMatch: ETAG }, notModified('if-none-match')],
    ['If-None-Match: the current tag, weak', { ifNoneMatch: `W/${ETAG}` }, notModified('if-none-match')],
    ['If-None-Match: *', { ifNoneMatch: '*' }, notModified('if-none-match')],
    ['If-None-Match: a list holding it', { ifNoneMatch: `"a", "b", ${ETAG}` }, notModified('if-none-match')],
    ['If-None-Match: another tag', { ifNoneMatch: '"nope"' }, proceed],
    // Step 4: If-Modified-Since, only without If-None-Match.
    ['If-Modified-Since: its Last-Modified', { ifModifiedSince: LAST_MODIFIED }, notModified('if-modified-since')],
    ['If-Modified-Since: after the file', { ifModifiedSince: AFTER }, notModified('if-modified-since')],
    ['If-Modified-Since: before the file', { ifModifiedSince: BEFORE }, proceed],
    ['If-Modified-Since: not a date (ignored)', { ifModifiedSince: 'garbage' }, proceed],
    [
      'If-None-Match fails: If-Modified-Since is not looked at',
      { ifNoneMatch: '"nope"', ifModifiedSince: AFTER },
      proceed,
    ],
    // The order: a failed precondition wins over a 304.
    ['If-Match fails, If-None-Match matches', { ifMatch: '"nope"', ifNoneMatch: ETAG }, failed('if-match')],
    [
      'If-Unmodified-Since fails, If-Modified-Since would be a 304',
      { ifUnmodifiedSince: BEFORE, ifModifiedSince: AFTER },
      failed('if-unmodified-since'),
    ],
    ['If-Match holds and If-None-Match matches', { ifMatch: ETAG, ifNoneMatch: ETAG }, notModified('if-none-match')],
    // An end-to-end reload asks for the whole answer; a precondition still holds.
    ['Cache-Control: no-cache with a matching If-None-Match', { ifNoneMatch: ETAG, cacheControl: 'no-cache' }, proceed],
    [
      'Cache-Control: max-age=0, no-cache with If-Modified-Since',
      { ifModifiedSince: AFTER, cacheControl: 'max-age=0, no-cache' },
      proceed,
    ],
    [
      'Cache-Control: no-cache and a failing If-Match',
      { ifMatch: '"x"', cacheControl: 'no-cache' },
      failed('if-match'),
    ],
    [
      'Cache-Control: max-age=0 (a 304 is fine)',
      { ifNoneMatch: ETAG, cacheControl: 'max-age=0' },
      notModified('if-none-match'),
    ],
  ];
  for (const [what, input, expected] of cases)
    test(what, () => assert.deepEqual(decidePreconditions({ ...base, ...input }), expected));
});
