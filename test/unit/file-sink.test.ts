import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileSink } from '../../core/download/file-sink.js';
import { tempDir } from '../../harness/scratch-dir.js';

let scratch: { path: string; remove(): Promise<void> };
let dir: string;
before(async () => {
  scratch = await tempDir('file-sink-');
  dir = scratch.path;
});
after(() => scratch.remove());

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('FileSink', () => {
  test('writes every byte in order, small chunks and batches past 128 KiB alike', async () => {
    const chunks = Array.from({ length: 40 }, (_, index) => Buffer.alloc(1000 + index * 997, index));
    const path = join(dir, 'whole.part');
    const sink = await FileSink.create(path);
    for (const chunk of chunks) await sink.write(chunk);
    await sink.finish(true);
    assert.equal(sha256(await readFile(path)), sha256(Buffer.concat(chunks)));
  });

  test('refuses a file that exists (wx): a temp name is never shared', async () => {
    const path = join(dir, 'taken.part');
    await (await FileSink.create(path)).finish(false);
    await assert.rejects(FileSink.create(path), (error: NodeJS.ErrnoException) => error.code === 'EEXIST');
  });

  test('abandon closes once: a second abandon, or one after finish, touches no other descriptor', async () => {
    const sink = await FileSink.create(join(dir, 'abandoned.part'));
    await sink.write(Buffer.from('partial'));
    await sink.abandon();
    await sink.abandon();
    const other = join(dir, 'other.part');
    const next = await FileSink.create(other); // may get the descriptor number just freed
    const finished = await FileSink.create(join(dir, 'finished.part'));
    await finished.finish(false);
    await finished.abandon();
    await next.write(Buffer.from('still mine'));
    await next.finish(false);
    assert.equal(await readFile(other, 'utf8'), 'still mine');
  });

  test('abandon while a batch is being written waits for that write before closing', async () => {
    const path = join(dir, 'in-flight.part');
    const sink = await FileSink.create(path);
    const batch = Buffer.alloc(300 * 1024, 7);
    const writing = sink.write(batch);
    assert.ok(writing, 'a full batch is written at once');
    await sink.abandon();
    await writing;
    assert.equal((await readFile(path)).length, batch.length);
  });
});
