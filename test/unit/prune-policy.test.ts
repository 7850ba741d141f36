import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blobMayGo, delistedMayGo, judgeDelistCap, judgeRoundList } from '../../core/store/prune-policy.js';
import { FOREVER, pruneSettings } from '../../core/store/prune-settings.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const MIN = 60_000;

describe('judgeRoundList', () => {
  const cases: Array<[what: string, complete: boolean, validUrls: number, expected: string | undefined]> = [
    ['a complete list with URLs', true, 10, undefined],
    ['a list not read to its end', false, 10, 'list-incomplete'],
    ['an empty list', true, 0, 'no-valid-url'],
    ['a truncated empty list', false, 0, 'list-incomplete'],
  ];
  for (const [what, complete, validUrls, expected] of cases)
    test(what, () => assert.equal(judgeRoundList({ complete, validUrls })?.reason, expected));
});

describe('judgeDelistCap', () => {
  const cases: Array<[what: string, delisting: number, stored: number, percent: number, held: boolean]> = [
    ['nothing to remove', 0, 0, 50, false],
    ['nothing to remove, cap 0', 0, 10, 0, false],
    ['exactly half at 50%', 25, 50, 50, false],
    ['one more than half', 26, 50, 50, true],
    ['30 of 50 at 50% (a list shrunk to 20)', 30, 50, 50, true],
    ['30 of 50 at 60%', 30, 50, 60, false],
    ['everything at 100%', 50, 50, 100, false],
    ['one at cap 0', 1, 50, 0, true],
  ];
  for (const [what, delisting, stored, percent, held] of cases)
    test(what, () => {
      const hold = judgeDelistCap(delisting, stored, percent);
      assert.equal(hold?.reason, held ? 'over-max-delist' : undefined);
      if (hold) assert.match(hold.message, new RegExp(`${delisting} of ${stored}`));
    });
});

describe('blobMayGo', () => {
  const cases: Array<[what: string, nlink: number, ageMs: number, keepMs: number, goes: boolean]> = [
    ['still linked by a human name', 2, 60 * MIN, 0, false],
    ['linked by two names', 3, 60 * MIN, 0, false],
    ['unreferenced, grace 0', 1, 0, 0, true],
    ['unreferenced, younger than the grace', 1, 14 * MIN, 15 * MIN, false],
    ['unreferenced, exactly the grace', 1, 15 * MIN, 15 * MIN, true],
    ['unreferenced, older than the grace', 1, 16 * MIN, 15 * MIN, true],
    ['unreferenced, grace forever', 1, 1e12, FOREVER, false],
    ['ctime in the future (clock skew): kept', 1, -MIN, 0, false],
  ];
  for (const [what, nlink, ageMs, keepMs, goes] of cases)
    test(what, () => assert.equal(blobMayGo({ nlink, ctimeMs: NOW - ageMs }, NOW, keepMs), goes));
});

describe('delistedMayGo', () => {
  const cases: Array<[what: string, absentForMs: number, changedAgoMs: number, keepMs: number, goes: boolean]> = [
    ['absent a day, grace a day', 1440 * MIN, 2880 * MIN, 1440 * MIN, true],
    ['absent an hour, grace a day', 60 * MIN, 2880 * MIN, 1440 * MIN, false],
    ['absent now, grace 0', 0, 60 * MIN, 0, true],
    ['grace forever', 1e10, 1e10, FOREVER, false],
    ['stored again since it went absent: counts from the change', 1440 * MIN, 10 * MIN, 1440 * MIN, false],
    ['stored again long ago', 2880 * MIN, 1440 * MIN, 1440 * MIN, true],
  ];
  for (const [what, absentForMs, changedAgoMs, keepMs, goes] of cases)
    test(what, () =>
      assert.equal(delistedMayGo({ absentSinceMs: NOW - absentForMs, ctimeMs: NOW - changedAgoMs }, NOW, keepMs), goes),
    );
});

describe('prune settings', () => {
  const cases: Array<[setting: keyof typeof pruneSettings, text: string, expected: number | undefined]> = [
    ['keepReplacedMs', '0', 0],
    ['keepReplacedMs', '15m', 900_000],
    ['keepReplacedMs', '900', 900_000],
    ['keepReplacedMs', 'forever', FOREVER],
    ['keepReplacedMs', '-1', undefined],
    ['keepReplacedMs', 'soon', undefined],
    ['keepDelistedMs', '1d', 86_400_000],
    ['keepDelistedMs', 'Forever', FOREVER],
    ['maxDelistPercent', '50', 50],
    ['maxDelistPercent', '50%', 50],
    ['maxDelistPercent', '101', undefined],
    ['maxDelistPercent', 'half', undefined],
  ];
  for (const [setting, text, expected] of cases)
    test(`${setting} ${JSON.stringify(text)}`, () => assert.equal(pruneSettings[setting].parse(text), expected));
  test('defaults: keep-replaced at least two 5-minute rounds', () => {
    assert.ok(pruneSettings.keepReplacedMs.default >= 2 * 5 * MIN);
    assert.equal(pruneSettings.maxDelistPercent.default, 50);
  });
});
