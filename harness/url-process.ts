import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killChild, stopChild, trackChild } from './child-processes.js';

/** A Node script of the harness's, run as its own process, that prints `{"url": ...}` on stdout once it listens. */
export interface UrlProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Closes its stdin (its cue to stop), SIGTERM, SIGKILL after a few seconds. */
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Runs `node SCRIPT ARGS` detached (its own process group, killed as a group
 * like the tools: child-processes.ts), stdin a pipe whose end tells it the
 * bench died, stderr shared with the bench's, and waits (at most
 * `startTimeoutMs`) for its first stdout line. Nothing reads stdout after
 * that line: such a process must print nothing more.
 */
export async function startUrlProcess(
  script: string,
  args: string[],
  startTimeoutMs: number,
  what: string,
): Promise<UrlProcess> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  trackChild(child);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${what} did not start within ${startTimeoutMs / 1000} s`)),
      startTimeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      lines.close();
      killChild(child);
      reject(error);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`${what} exited before it was ready (code ${code}, signal ${signal})`));
    child.once('exit', onExit);
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        fail(new Error(`${what} printed an unexpected line: ${line.slice(0, 200)}`));
      }
    });
  });

  return {
    child,
    url,
    close: async () => {
      child.stdin?.end();
      await stopChild(child, CLOSE_TIMEOUT_MS);
    },
  };
}
