/**
 * Most bytes of log lines written in one call: PIPE_BUF on Linux, so that a
 * batch written to a pipe shared by several processes (the web node's
 * cluster workers) is never interleaved with another's.
 */
export const MAX_BATCHED_LOG_BYTES = 4096;

/**
 * Collects log lines and writes them to the stream together, once per turn
 * of the event loop (setImmediate), or at once when MAX_BATCHED_LOG_BYTES
 * are waiting: one write call for a burst of access log lines instead of
 * one each (stdout to a file or a pipe is a synchronous write(2) per call
 * on Linux). Lines keep their order and stay whole; a batch is at most
 * MAX_BATCHED_LOG_BYTES unless one line alone is longer. `flush()` writes
 * what waits (at shutdown and on the process's 'exit').
 */
export class BatchedLineWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;

  constructor(private readonly stream: { write(text: string): unknown }) {}

  write(text: string): boolean {
    const bytes = Buffer.byteLength(text);
    if (this.pendingBytes + bytes > MAX_BATCHED_LOG_BYTES) this.flush();
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
    return true;
  }

  /** A sink that writes each line at once, after what waits: for the rare lines a reader may wait for (state changes). */
  readonly immediate = {
    write: (text: string): boolean => {
      this.flush();
      this.stream.write(text);
      return true;
    },
  };

  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.stream.write(text);
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
