import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSize } from '../../core/config/parse-size.js';

const cases: Array<[text: string, bytes: number | undefined]> = [
  ['0', 0],
  ['1048576', 1048576],
  ['10B', 10],
  ['10b', 10],
  ['1KB', 1000],
  ['10MB', 10_000_000],
  ['10mb', 10_000_000],
  ['2GB', 2_000_000_000],
  ['1K', 1024],
  ['1k', 1024],
  ['1KiB', 1024],
  ['50MiB', 52_428_800],
  ['50M', 52_428_800],
  ['2G', 2 * 1024 ** 3],
  ['2GiB', 2 * 1024 ** 3],
  ['1.5M', 1_572_864],
  ['0.5KB', 500],
  ['1.9', 1],
  [' 10 MB ', 10_000_000],
  ['9007199254740991', Number.MAX_SAFE_INTEGER],
  // Refused.
  ['', undefined],
  ['   ', undefined],
  ['MB', undefined],
  ['abc', undefined],
  ['-1', undefined],
  ['+1', undefined],
  ['.5M', undefined],
  ['1.', undefined],
  ['1,000', undefined],
  ['1e6', undefined],
  ['10TB', undefined],
  ['10 M B', undefined],
  ['10MBs', undefined],
  ['0x10', undefined],
  ['9007199254740993', undefined],
  ['99999999G', undefined],
];

describe('parseSize', () => {
  for (const [text, bytes] of cases) {
    test(`${JSON.stringify(text)} -> ${bytes}`, () => {
      assert.equal(parseSize(text), bytes);
    });
  }
});
