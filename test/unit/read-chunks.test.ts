import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { readChunks } from '../../core/download/read-chunks.js';

/** A body that yields `chunks` on demand, then ends, fails with `error`, or (`'hang'`) waits forever. */
function body(chunks: Buffer[], then?: Error | 'hang'): Readable {
  let next = 0;
  return new Readable({
    read() {
      if (next < chunks.length) this.push(chunks[next++]);
      else if (then instanceof Error) this.destroy(then);
      else if (then === undefined) this.push(null);
    },
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

describe('readChunks', () => {
  test('hands every chunk on in order, as it came (the same buffers, not concatenated copies)', async () => {
    const chunks = [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')];
    const seen: Buffer[] = [];
    await readChunks(body(chunks), (chunk) => {
      seen.push(chunk);
      return undefined;
    });
    assert.equal(seen.length, 3);
    for (const [index, chunk] of seen.entries()) assert.equal(chunk, chunks[index]);
  });

  test('no chunk arrives while a returned promise is pending; the end waits for it', async () => {
    const write = deferred();
    const seen: string[] = [];
    let done = false;
    const reading = readChunks(body([Buffer.from('a'), Buffer.from('b')]), (chunk) => {
      seen.push(chunk.toString());
      return seen.length === 1 ? write.promise : undefined;
    }).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(seen, ['a']);
    assert.equal(done, false);
    write.resolve();
    await reading;
    assert.deepEqual(seen, ['a', 'b']);
  });

  test('an error thrown by the handler rejects, destroys the body and stops the chunks', async () => {
    const stream = body([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    const seen: string[] = [];
    await assert.rejects(
      readChunks(stream, (chunk) => {
        seen.push(chunk.toString());
        throw new Error('too large');
      }),
      /too large/,
    );
    assert.deepEqual(seen, ['a']);
    assert.equal(stream.destroyed, true);
  });

  test("the body's error is reported only after a pending write settled (the file is not closed under it)", async () => {
    const write = deferred();
    const stream = body([Buffer.from('a')], 'hang');
    let rejected = false;
    const reading = readChunks(stream, () => write.promise).catch((error: Error) => {
      rejected = true;
      return error;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(rejected, false);
    write.resolve();
    const error = await reading;
    assert.equal((error as NodeJS.ErrnoException).code, 'ECONNRESET');
  });

  test('a body that fails mid-way rejects with its error', async () => {
    const error = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    await assert.rejects(
      readChunks(body([Buffer.from('a')], error), () => undefined),
      (thrown: NodeJS.ErrnoException) => thrown.code === 'UND_ERR_SOCKET',
    );
  });

  test('a body closed before its end rejects as a premature close', async () => {
    const stream = body([Buffer.from('a'), Buffer.from('b')]);
    await assert.rejects(
      readChunks(stream, () => {
        stream.destroy();
        return undefined;
      }),
      (thrown: NodeJS.ErrnoException) => thrown.code === 'ERR_STREAM_PREMATURE_CLOSE',
    );
  });
});
