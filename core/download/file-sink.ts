import { type FileHandle, open } from 'node:fs/promises';

/** Bytes are gathered up to this size and written with one writev: a 5 MB image takes ~20 writes, not ~300. */
const BATCH_BYTES = 256 * 1024;

/**
 * Writes a stream of chunks to a new file (which must not exist: `wx`),
 * batching small chunks into few system calls. Awaiting each `write` is the
 * backpressure: at most one batch is in memory.
 */
export class FileSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  private constructor(private readonly file: FileHandle) {}

  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'wx'));
  }

  async write(chunk: Buffer): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= BATCH_BYTES) await this.flush();
  }

  /** Writes what is left, optionally fsyncs, and closes. */
  async finish(fsync: boolean): Promise<void> {
    try {
      await this.flush();
      if (fsync) await this.file.sync();
    } finally {
      await this.file.close();
    }
  }

  /** Closes without writing what is left; the caller removes the file. */
  async abandon(): Promise<void> {
    this.pending = [];
    await this.file.close().catch(() => {});
  }

  private async flush(): Promise<void> {
    let buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (buffers.length > 0) {
      const { bytesWritten } = await this.file.writev(buffers);
      buffers = remainder(buffers, bytesWritten);
    }
  }
}

/** What is left of `buffers` after the first `written` bytes (writev may write less than asked). */
function remainder(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) skip -= buffers[index++]!.length;
  if (index === buffers.length) return [];
  return [buffers[index]!.subarray(skip), ...buffers.slice(index + 1)];
}
