import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { asksForWhole, decideFileAnswer, type FileAnswer } from '../../web/file-answer-policy.js';

const version = { etag: '"v1"', mtimeMs: Date.UTC(2026, 0, 1), size: 100 };
const before = new Date(Date.UTC(2025, 0, 1)).toUTCString();
const after = new Date(Date.UTC(2027, 0, 1)).toUTCString();

describe('decideFileAnswer: preconditions first, then Range (RFC 9110 §13.2.2)', () => {
  const cases: Array<[label: string, headers: IncomingHttpHeaders, answer: FileAnswer]> = [
    ['nothing asked', {}, { status: 200 }],
    ['If-Match failing', { 'if-match': '"other"' }, { status: 412 }],
    [
      'If-Match failing beats a range outside the file',
      { 'if-match': '"other"', range: 'bytes=500-' },
      { status: 412 },
    ],
    ['If-Unmodified-Since before the version', { 'if-unmodified-since': before }, { status: 412 }],
    ['If-None-Match matching', { 'if-none-match': '"v1"' }, { status: 304 }],
    [
      'If-None-Match matching beats a range outside the file',
      { 'if-none-match': '"v1"', range: 'bytes=500-' },
      { status: 304 },
    ],
    ['If-Modified-Since after the version', { 'if-modified-since': after }, { status: 304 }],
    ['no-cache: never a 304', { 'if-none-match': '"v1"', 'cache-control': 'no-cache' }, { status: 200 }],
    ['one range', { range: 'bytes=10-19' }, { status: 206, start: 10, end: 19 }],
    ['a range outside the file', { range: 'bytes=500-' }, { status: 416 }],
    ['If-Range with another tag: the whole file', { range: 'bytes=10-19', 'if-range': '"other"' }, { status: 200 }],
    [
      'If-None-Match not matching, a range',
      { 'if-none-match': '"old"', range: 'bytes=0-0' },
      { status: 206, start: 0, end: 0 },
    ],
  ];
  for (const [label, headers, answer] of cases)
    test(label, () => assert.deepEqual(decideFileAnswer(headers, version), answer));
});

describe('asksForWhole: only a request with no precondition and no Range skips the deciders', () => {
  test('headers that do not change the answer', () =>
    assert.equal(asksForWhole({ accept: '*/*', 'cache-control': 'no-cache', 'if-range': '"x"' }), true));
  for (const name of ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since'])
    test(name, () => assert.equal(asksForWhole({ [name]: 'x' }), false));
});
