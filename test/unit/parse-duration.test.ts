import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration } from '../../core/config/parse-duration.js';

const cases: Array<[text: string, plainUnit: 'ms' | 's', ms: number | undefined]> = [
  ['250ms', 's', 250],
  ['30s', 's', 30_000],
  ['5m', 's', 300_000],
  ['1h', 's', 3_600_000],
  ['1d', 's', 86_400_000],
  ['1h30m', 's', 5_400_000],
  ['1m30s', 's', 90_000],
  ['1m5ms', 's', 60_005],
  ['1d2h3m4s5ms', 's', 93_784_005],
  ['1.5s', 's', 1500],
  ['0.5m', 's', 30_000],
  ['0s', 's', 0],
  [' 10s ', 's', 10_000],
  // Plain numbers are in the setting's unit.
  ['30', 's', 30_000],
  ['2.5', 's', 2500],
  ['30', 'ms', 30],
  ['0', 's', 0],
  // Refused.
  ['', 's', undefined],
  ['   ', 's', undefined],
  ['s', 's', undefined],
  ['ms', 's', undefined],
  ['10x', 's', undefined],
  ['10S', 's', undefined],
  ['1m 30s', 's', undefined],
  ['1h30', 's', undefined],
  ['-5s', 's', undefined],
  ['+5s', 's', undefined],
  ['.5s', 's', undefined],
  ['1e3', 's', undefined],
  ['5 s', 's', undefined],
  ['5sec', 's', undefined],
];

describe('parseDuration', () => {
  for (const [text, plainUnit, ms] of cases) {
    test(`${JSON.stringify(text)} (plain numbers in ${plainUnit}) -> ${ms}`, () => {
      assert.equal(parseDuration(text, plainUnit), ms);
    });
  }

  test('plain numbers default to seconds', () => {
    assert.equal(parseDuration('7'), 7000);
  });
});
