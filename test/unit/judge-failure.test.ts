import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type FailureVerdict, judgeFailure } from '../../core/round/judge-failure.js';

// [name, retryable, attempt, retries, stopping, whenStopping, expected]
const cases: Array<
  [
    name: string,
    retryable: boolean,
    attempt: number,
    retries: number,
    stopping: boolean,
    whenStopping: 'settle' | 'hand-back',
    expected: FailureVerdict,
  ]
> = [
  ['retryable, first attempt, retries left', true, 1, 3, false, 'settle', 'retry'],
  ['retryable, last retry still allowed', true, 3, 3, false, 'settle', 'retry'],
  ['retryable, retries used up', true, 4, 3, false, 'settle', 'settle'],
  ['retryable, no retries configured', true, 1, 0, false, 'settle', 'settle'],
  ['terminal failure is never retried', false, 1, 3, false, 'settle', 'settle'],
  ['terminal failure in the worker settles too', false, 1, 3, false, 'hand-back', 'settle'],
  ['retryable in the worker, retries left', true, 2, 3, false, 'hand-back', 'retry'],
  ['fetch stopping: settled, not retried', true, 1, 3, true, 'settle', 'settle'],
  ['fetch stopping, terminal failure', false, 1, 3, true, 'settle', 'settle'],
  ['worker stopping: handed back, not retried', true, 1, 3, true, 'hand-back', 'hand-back'],
  ['worker stopping: handed back even when terminal', false, 1, 3, true, 'hand-back', 'hand-back'],
  ['worker stopping: handed back even with retries used up', true, 9, 3, true, 'hand-back', 'hand-back'],
];

describe('judgeFailure', () => {
  for (const [name, retryable, attempt, retries, stopping, whenStopping, expected] of cases) {
    test(name, () => {
      assert.equal(judgeFailure({ retryable, attempt, retries, stopping, whenStopping }), expected);
    });
  }
});
