import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeAll, settlesWithin } from '../../core/service/close-all.js';
import { StopRequestedError, unlessStopped } from '../../core/service/unless-stopped.js';

describe('closeAll: every resource closes, bounded by a deadline', () => {
  test('a failing close does not keep the others open, and is reported', async () => {
    const closed: string[] = [];
    const report = await closeAll(
      [
        { name: 'first', close: async () => void closed.push('first') },
        { name: 'broken', close: () => Promise.reject(new Error('boom')) },
        { name: 'last', close: async () => void closed.push('last') },
      ],
      1000,
    );
    assert.deepEqual(closed.sort(), ['first', 'last']);
    assert.deepEqual(
      report.failed.map(({ name, error }) => [name, (error as Error).message]),
      [['broken', 'boom']],
    );
    assert.deepEqual(report.timedOut, []);
  });

  test('a close that never settles is forced at the deadline; the others still close', async () => {
    const forced: string[] = [];
    let otherClosed = false;
    const started = Date.now();
    const report = await closeAll(
      [
        { name: 'hung', close: () => new Promise(() => {}), force: () => void forced.push('hung') },
        { name: 'quick', close: async () => void (otherClosed = true), force: () => void forced.push('quick') },
      ],
      200,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 1000, `took ${elapsed} ms`);
    assert.deepEqual(report.timedOut, ['hung']);
    assert.deepEqual(forced, ['hung']);
    assert.ok(otherClosed);
  });

  test('nothing to close, or all quick: no wait for the deadline', async () => {
    const started = Date.now();
    await closeAll([], 5000);
    await closeAll([{ name: 'quick', close: async () => {} }], 5000);
    assert.ok(Date.now() - started < 500);
  });

  test('settlesWithin tells a settled promise (either way) from one still running', async () => {
    assert.equal(await settlesWithin(Promise.resolve(), 100), true);
    assert.equal(await settlesWithin(Promise.reject(new Error('x')), 100), true);
    assert.equal(await settlesWithin(sleep(500), 50), false);
  });
});

describe('unlessStopped: start-up waits that a stop ends', () => {
  test('resolves with the work when no stop comes', async () => {
    assert.equal(await unlessStopped(new AbortController().signal, Promise.resolve(42)), 42);
  });
  test('rejects with the work’s own error', async () => {
    await assert.rejects(unlessStopped(new AbortController().signal, Promise.reject(new Error('own'))), /own/);
  });
  test('rejects with StopRequestedError as soon as the signal aborts, the work still pending', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 20);
    await assert.rejects(unlessStopped(stop.signal, new Promise(() => {})), StopRequestedError);
  });
  test('an already aborted signal rejects at once', async () => {
    await assert.rejects(unlessStopped(AbortSignal.abort(), new Promise(() => {})), StopRequestedError);
  });
});
