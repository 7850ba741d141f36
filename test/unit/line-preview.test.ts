import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bytesPreview, linePreview, PREVIEW_CHARS } from '../../core/list/line-preview.js';

const cases: Array<[name: string, text: string, preview: string]> = [
  ['a plain URL is unchanged', 'ftp://example.com/a.png', 'ftp://example.com/a.png'],
  ['non-ASCII letters are kept', 'http://bücher.example/é.png', 'http://bücher.example/é.png'],
  ['NUL', 'http://a.example/x\u0000y.png', 'http://a.example/x\\x00y.png'],
  [
    'a terminal escape sequence (clear screen, set title)',
    '\u001b[2J\u001b]0;owned\u0007',
    '\\x1b[2J\\x1b]0;owned\\x07',
  ],
  ['tab, CR, DEL and a C1 control', 'a\tb\rc\u007fd\u009be', 'a\\x09b\\x0dc\\x7fd\\x9be'],
  [
    'bidi overrides and isolates',
    'http://a.example/\u202egnp.exe\u2066x\u2069',
    'http://a.example/\\u202egnp.exe\\u2066x\\u2069',
  ],
  ['U+FFFD from undecodable bytes is shown as is', 'a\uFFFD', 'a\uFFFD'],
];

describe('linePreview: a bad line as it may be shown', () => {
  for (const [name, text, preview] of cases) {
    test(name, () => {
      assert.equal(linePreview(text), preview);
    });
  }
  test(`cut at ${PREVIEW_CHARS} characters before escaping`, () => {
    const preview = linePreview(`${'x'.repeat(PREVIEW_CHARS - 1)}\u0000${'y'.repeat(1000)}`);
    assert.equal(preview, `${'x'.repeat(PREVIEW_CHARS - 1)}\\x00…`);
  });
  test('bytes: invalid UTF-8 becomes U+FFFD, controls are escaped, a long line is cut', () => {
    assert.equal(bytesPreview(Buffer.from([0x68, 0xff, 0x00, 0x1b])), 'h\uFFFD\\x00\\x1b');
    assert.equal(bytesPreview(Buffer.alloc(10_000, 0x61)), `${'a'.repeat(PREVIEW_CHARS)}…`);
  });
});
