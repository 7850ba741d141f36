import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  blobMayGo,
  delistedMayGo,
  FULL_WALK_EVERY_MS,
  judgeDelistCap,
  judgePruneScope,
  judgeRoundList,
} from '../../core/store/prune-policy.js';
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
    ['ctime later within the same millisecond as the clock (its resolution), grace 0', 1, -0.9, 0, true],
    ['ctime a millisecond in the future, grace 0: kept', 1, -1, 0, false],
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

describe('judgePruneScope', () => {
  const HOUR = 60 * MIN;
  type Facts = {
    trusted: boolean;
    knows: boolean;
    walkedAgoMs: number | undefined;
    empty: boolean;
    dueInMs: number | undefined;
  };
  const base: Facts = { trusted: true, knows: true, walkedAgoMs: 10 * MIN, empty: false, dueInMs: undefined };
  const cases: Array<[what: string, facts: Partial<Facts>, expected: string]> = [
    ['fetch, walked 10 minutes ago, nothing delisted', {}, 'replaced'],
    ['a list not to be trusted: walked (and held)', { trusted: false }, 'full:list-untrusted'],
    ['the coordinator (no list of replaced blobs)', { knows: false }, 'full:no-replaced-list'],
    ['no record (an old store, a damaged record)', { walkedAgoMs: undefined }, 'full:no-record'],
    ['no record, the store empty when the round started', { walkedAgoMs: undefined, empty: true }, 'replaced'],
    [
      'empty at start but the coordinator',
      { walkedAgoMs: undefined, empty: true, knows: false },
      'full:no-replaced-list',
    ],
    [
      'empty at start, a delisting due (grace 0)',
      { walkedAgoMs: undefined, empty: true, dueInMs: 0 },
      'full:delisted-due',
    ],
    ['a record an hour old: empty-at-start does not matter', { walkedAgoMs: 60 * MIN, empty: true }, 'full:walk-due'],
    ['walked just under an hour ago', { walkedAgoMs: HOUR - 1 }, 'replaced'],
    ['walked an hour ago', { walkedAgoMs: HOUR }, 'full:walk-due'],
    ['the clock went back before the last walk', { walkedAgoMs: -MIN }, 'full:walk-due'],
    ['a delisted name whose grace ends later', { dueInMs: MIN }, 'replaced'],
    ['a delisted name whose grace ends now', { dueInMs: 0 }, 'full:delisted-due'],
    ['a delisted name kept forever', { dueInMs: Number.POSITIVE_INFINITY }, 'replaced'],
    ['untrusted wins over everything', { trusted: false, knows: false, walkedAgoMs: undefined }, 'full:list-untrusted'],
  ];
  for (const [what, partial, expected] of cases)
    test(what, () => {
      const facts = { ...base, ...partial };
      const scope = judgePruneScope({
        listTrusted: facts.trusted,
        knowsReplaced: facts.knows,
        fullWalkAtMs: facts.walkedAgoMs === undefined ? undefined : NOW - facts.walkedAgoMs,
        storeEmptyAtStart: facts.empty,
        delistedDueAtMs: facts.dueInMs === undefined ? undefined : NOW + facts.dueInMs,
        nowMs: NOW,
        fullWalkEveryMs: FULL_WALK_EVERY_MS,
      });
      assert.equal(scope.scope === 'full' ? `full:${scope.reason}` : scope.scope, expected);
    });
  test('the store is walked at least every hour', () => assert.equal(FULL_WALK_EVERY_MS, HOUR));
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
