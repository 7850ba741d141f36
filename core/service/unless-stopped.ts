/** Thrown by unlessStopped when the process is told to stop before the work it waited for finished. */
export class StopRequestedError extends Error {
  constructor() {
    super('stop requested');
    this.name = 'StopRequestedError';
  }
}

/**
 * Waits for `work`, or rejects with StopRequestedError as soon as `signal`
 * aborts: start-up steps that wait for Redis (which waits out outages
 * forever) must not keep a SIGTERM waiting. `work` itself is left to its
 * fate; the caller closes the connection it runs on.
 */
export function unlessStopped<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(new StopRequestedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new StopRequestedError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
