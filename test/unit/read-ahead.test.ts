import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { readAhead } from '../../core/list/read-ahead.js';

/** A source of `count` numbers that counts what was read and whether it was closed, and fails at `failAt`. */
function countingSource(count: number, failAt?: number) {
  const state = { read: 0, closed: false };
  async function* source(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < count; i++) {
        await tick();
        if (i === failAt) throw new Error(`line ${i} unreadable`);
        state.read++;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { source: source(), state };
}

const settledWithin = async (promise: Promise<void>): Promise<boolean> =>
  Promise.race([promise.then(() => true), tick().then(() => tick().then(() => false))]);

/** Takes `count` more entries, then lets the reader run: how many the source has yielded by then. */
async function readAfterTaking(iterator: AsyncIterator<number>, count: number, state: { read: number }) {
  for (let i = 0; i < count; i++) await iterator.next();
  for (let i = 0; i < 50; i++) await tick();
  return state.read;
}

async function take<T>(entries: AsyncIterable<T>, count = Number.POSITIVE_INFINITY): Promise<T[]> {
  const taken: T[] = [];
  for await (const entry of entries) {
    taken.push(entry);
    if (taken.length >= count) break;
  }
  return taken;
}

describe('readAhead', () => {
  test('every entry, in order; the end known before the consumer takes the first', async () => {
    const { source } = countingSource(50);
    const ahead = readAhead(source, 100, () => 1);
    const iterator = ahead.entries[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: 0, done: false });
    await ahead.ended;
    const rest: number[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
    assert.deepEqual(
      rest,
      Array.from({ length: 49 }, (_, i) => i + 1),
    );
  });

  test('reads at most `budget` ahead of the consumer', async () => {
    const { source, state } = countingSource(1000);
    const ahead = readAhead(source, 10, () => 1);
    const iterator = ahead.entries[Symbol.asyncIterator]();
    const afterOne = await readAfterTaking(iterator, 1, state);
    assert.ok(afterOne <= 12, `${afterOne} read for 1 taken`);
    const afterSix = await readAfterTaking(iterator, 5, state);
    assert.ok(afterSix <= 17, `${afterSix} read for 6 taken`);
    assert.equal(await settledWithin(ahead.ended), false);
    await iterator.return?.();
  });

  test("the source's error reaches the consumer after the entries before it; the end is never announced", async () => {
    const { source } = countingSource(10, 3);
    const ahead = readAhead(source, 100, () => 1);
    const taken: number[] = [];
    await assert.rejects(async () => {
      for await (const entry of ahead.entries) taken.push(entry);
    }, /line 3 unreadable/);
    assert.deepEqual(taken, [0, 1, 2]);
    assert.equal(await settledWithin(ahead.ended), false);
  });

  test('a consumer that stops early stops the reading and closes the source', async () => {
    const { source, state } = countingSource(1000);
    const ahead = readAhead(source, 10, () => 1);
    assert.deepEqual(await take(ahead.entries, 3), [0, 1, 2]);
    for (let i = 0; i < 50; i++) await tick();
    assert.equal(state.closed, true);
    assert.ok(state.read <= 14, `${state.read} read`);
  });

  test("the budget is of the entries' weight: heavy entries are read fewer at a time", async () => {
    const { source, state } = countingSource(1000);
    const ahead = readAhead(source, 100, () => 25);
    const iterator = ahead.entries[Symbol.asyncIterator]();
    const afterOne = await readAfterTaking(iterator, 1, state);
    assert.ok(afterOne <= 6, `${afterOne} read for 1 taken`);
    await iterator.return?.();
  });

  test('more entries than the batch in which taken ones are dropped', async () => {
    const { source } = countingSource(5000);
    const ahead = readAhead(source, 3000, () => 1);
    const taken = await take(ahead.entries);
    assert.equal(taken.length, 5000);
    assert.ok(taken.every((entry, i) => entry === i));
  });
});
