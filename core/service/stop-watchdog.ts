/**
 * How long past --stop-timeout a stopping process may take for its last
 * closes before the watchdog ends it: the promise to operators is "stopped
 * within --stop-timeout plus a second".
 */
export const STOP_SLACK_MS = 850;

/** Exit code when the watchdog has to end a process whose closes did not finish. */
const EXIT_STOP_TIMEOUT = 1;

/**
 * The last line of defence of "every process stops on SIGTERM": once
 * `signal` aborts, the process exits `stopTimeoutMs` + STOP_SLACK_MS later
 * whatever it is still waiting for (a close stuck on an unreachable Redis,
 * a file system that does not answer). The timer is unref'd: a process that
 * finished its closes exits on its own before.
 */
export function armStopWatchdog(signal: AbortSignal, stopTimeoutMs: number): void {
  const arm = (): void => {
    setTimeout(() => {
      process.stderr.write(
        `stop timeout: still not stopped ${stopTimeoutMs + STOP_SLACK_MS} ms after the signal; exiting now\n`,
      );
      process.exit(process.exitCode ?? EXIT_STOP_TIMEOUT);
    }, stopTimeoutMs + STOP_SLACK_MS).unref();
  };
  if (signal.aborted) arm();
  else signal.addEventListener('abort', arm, { once: true });
}
