import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BatchedLineWriter, MAX_BATCHED_LOG_BYTES } from '../../core/log/batched-line-writer.js';

function sink(): { writes: string[]; write(text: string): void } {
  const writes: string[] = [];
  return { writes, write: (text) => writes.push(text) };
}

describe('BatchedLineWriter', () => {
  test('lines written in one turn of the event loop go out in one write, in order, on the next turn', async () => {
    const out = sink();
    const writer = new BatchedLineWriter(out);
    writer.write('one\n');
    writer.write('two\n');
    assert.deepEqual(out.writes, []);
    await nextTurn();
    assert.deepEqual(out.writes, ['one\ntwo\n']);
    writer.write('three\n');
    await nextTurn();
    assert.deepEqual(out.writes, ['one\ntwo\n', 'three\n']);
  });

  test('no write is longer than MAX_BATCHED_LOG_BYTES (whole lines only), so one batch on a shared pipe is atomic', async () => {
    const out = sink();
    const writer = new BatchedLineWriter(out);
    const line = `${'é'.repeat(149)}\n`; // 299 bytes
    for (let n = 0; n < 100; n++) writer.write(line);
    await nextTurn();
    assert.equal(out.writes.join(''), line.repeat(100));
    for (const text of out.writes) {
      assert.ok(Buffer.byteLength(text) <= MAX_BATCHED_LOG_BYTES, `${Buffer.byteLength(text)} bytes`);
      assert.equal(text.length % line.length, 0, 'whole lines');
    }
    assert.equal(out.writes.length, Math.ceil(100 / Math.floor(MAX_BATCHED_LOG_BYTES / 299)));
  });

  test('flush writes what waits at once; a longer line alone is written whole', async () => {
    const out = sink();
    const writer = new BatchedLineWriter(out);
    writer.write('a\n');
    writer.flush();
    assert.deepEqual(out.writes, ['a\n']);
    const long = `${'x'.repeat(MAX_BATCHED_LOG_BYTES * 2)}\n`;
    writer.write(long);
    writer.flush();
    assert.deepEqual(out.writes, ['a\n', long]);
    writer.flush();
    await nextTurn();
    assert.equal(out.writes.length, 2, 'nothing more');
  });

  test('immediate writes its line at once, after the lines that wait, keeping the order', () => {
    const out = sink();
    const writer = new BatchedLineWriter(out);
    writer.write('request 1\n');
    writer.immediate.write('store unhealthy\n');
    assert.deepEqual(out.writes, ['request 1\n', 'store unhealthy\n']);
  });
});
