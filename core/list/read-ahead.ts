/** What readAhead hands the consumer: the same entries, and when their source ended. */
export interface ReadAhead<T> {
  entries: AsyncIterable<T>;
  /** Resolves once the source ended cleanly, possibly long before the consumer took its last entry; never if it failed. */
  ended: Promise<void>;
}

type Slot<T> = { value: T } | { error: unknown } | { done: true };

/**
 * Reads entries of `source` ahead of its consumer, up to `budget` of their `weigh`t (a URL's length, say), so that
 * the end of a list is known while a round still has that much to go (pruning may start then: a list read to its
 * end). The consumer gets every entry, and the source's error, in their order, as if it read the source itself.
 * Memory: what `budget` allows, plus one entry.
 *
 * When the consumer stops early, reading stops after the read in progress; the source's own stop (the round's
 * signal) ends a read that waits on a list server that does not answer.
 */
export function readAhead<T>(source: AsyncIterable<T>, budget: number, weigh: (entry: T) => number): ReadAhead<T> {
  const queue: Slot<T>[] = [];
  let head = 0;
  let buffered = 0;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  const iterator = source[Symbol.asyncIterator]();
  const put = (slot: Slot<T>): void => {
    queue.push(slot);
    wakeConsumer?.();
  };

  const read = async (): Promise<void> => {
    try {
      for (;;) {
        while (buffered >= budget && !stopped) await new Promise<void>((resolve) => (wakeReader = resolve));
        if (stopped) return;
        const next = await iterator.next();
        if (next.done) {
          markEnded();
          put({ done: true });
          return;
        }
        buffered += weigh(next.value);
        put({ value: next.value });
      }
    } catch (error) {
      put({ error });
    }
  };

  async function* entries(): AsyncGenerator<T> {
    void read();
    try {
      for (;;) {
        while (head === queue.length) await new Promise<void>((resolve) => (wakeConsumer = resolve));
        const slot = queue[head++]!;
        // Taken entries are dropped in batches: shifting one at a time would copy the whole queue per entry.
        if (head >= 1024) {
          queue.splice(0, head);
          head = 0;
        }
        if ('done' in slot) return;
        if ('error' in slot) throw slot.error;
        buffered -= weigh(slot.value);
        wakeReader?.();
        yield slot.value;
      }
    } finally {
      stopped = true;
      wakeReader?.();
      // Not awaited: a read in progress may wait on the network until the round's signal ends it.
      iterator.return?.()?.catch(() => {});
    }
  }

  return { entries: entries(), ended };
}
