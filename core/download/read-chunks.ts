import { finished, type Readable } from 'node:stream';

/**
 * Hands each chunk of `body` to `handle` in order, as it arrived, pausing the body while a promise `handle`
 * returned is pending (backpressure: at most what the body buffers itself waits in memory). Unlike
 * `for await`, whose read() concatenates every chunk buffered meanwhile into a new buffer (a copy of each
 * byte of a big image, and one more dead buffer for the collector), and which costs promises per chunk.
 *
 * Resolves once the body ended and the last `handle` settled; rejects with the body's error (as
 * stream.finished reports it: a premature close included) or the first error `handle` threw, after
 * destroying the body so its connection is not reused, and only once no promise of `handle` is pending.
 */
export function readChunks(body: Readable, handle: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let writing: Promise<void> | undefined;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      stopWatching();
      if (error === undefined) {
        resolve();
        return;
      }
      body.destroy();
      // The caller closes its file on rejection: never while a write of it is still in flight.
      const inFlight = writing ?? Promise.resolve();
      inFlight.then(
        () => reject(error),
        () => reject(error),
      );
    };
    const onData = (chunk: Buffer): void => {
      try {
        writing = handle(chunk);
      } catch (error) {
        settle(error);
        return;
      }
      if (writing === undefined) return;
      body.pause();
      writing.then(() => {
        writing = undefined;
        if (!settled) body.resume();
      }, settle);
    };
    const stopWatching = finished(body, (error) => {
      if (error) {
        settle(error);
        return;
      }
      // A body can end while the last chunk's write is still in flight: resolve only once it is done.
      if (writing === undefined) settle();
      else writing.then(() => settle(), settle);
    });
    body.on('data', onData);
  });
}
