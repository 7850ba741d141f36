import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { invalidLineEntry, isInvalidLineEntry } from '../../core/round/invalid-line-entry.js';
import type { UrlEntry } from '../../core/round/round-summary.js';

describe('invalidLineEntry and isInvalidLineEntry', () => {
  test('an invalid line becomes a failed entry with its raw text and line number', () => {
    const entry = invalidLineEntry({
      kind: 'invalid',
      line: 7,
      raw: 'ftp://example.com/a.jpg',
      code: ErrorCode.UnsupportedScheme,
      reason: 'scheme ftp: is not http or https',
    });
    assert.deepEqual(entry, {
      url: 'ftp://example.com/a.jpg',
      line: 7,
      status: 'failed',
      error: { code: ErrorCode.UnsupportedScheme, message: 'line 7: scheme ftp: is not http or https' },
    });
    assert.equal(isInvalidLineEntry(entry), true);
  });

  const listedUrl = (rest: Partial<UrlEntry>): UrlEntry => ({
    url: 'https://a.example/x.jpg',
    line: 3,
    status: 'failed',
    ...rest,
  });
  const cases: Array<[what: string, entry: UrlEntry, invalid: boolean]> = [
    ['a stored URL', listedUrl({ status: 'downloaded', path: 'a.example^.https/x.jpg' }), false],
    ['an unchanged URL', listedUrl({ status: 'unchanged', path: 'a.example^.https/x.jpg' }), false],
    ['a 404', listedUrl({ error: { code: ErrorCode.HttpStatus, message: 'HTTP 404 Not Found', status: 404 } }), false],
    [
      'a redirect to an unsupported scheme (a listed URL, with a code lines also have)',
      listedUrl({ error: { code: ErrorCode.UnsupportedScheme, message: 'redirect to ftp://b.example/x.jpg refused' } }),
      false,
    ],
    [
      "another line's prefix",
      listedUrl({ error: { code: ErrorCode.InvalidUrl, message: 'line 4: not a URL' } }),
      false,
    ],
    ['a failed entry without an error', listedUrl({}), false],
    [
      'an invalid line',
      listedUrl({ url: 'not a url', error: { code: ErrorCode.InvalidUrl, message: 'line 3: x' } }),
      true,
    ],
  ];
  for (const [what, entry, invalid] of cases) test(what, () => assert.equal(isInvalidLineEntry(entry), invalid));
});
