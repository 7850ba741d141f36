/** What a long-running process (coordinator, worker, web node, fetch --serve) gets from the CLI. */
export interface ServiceIo {
  /** Where the JSON log lines go. */
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** Resolves when `signal` aborts: a service's main line waits here until it is told to stop. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
