import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './wait-for.js';

/**
 * A long-running process in a process group of its own (`ip netns exec`,
 * `unshare` and `setpriv` exec in place, so the group holds the whole chain
 * and whatever the program forks): stopping it signals the group, so nothing
 * it started can outlive the test.
 */
export interface GroupProcess {
  child: ChildProcess;
  /** The process id (after the exec chain: the program itself), also the group id. */
  pid: number;
  output(): { stdout: string; stderr: string };
  /** Waits until stdout + stderr match, failing early if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startGroupProcess(label: string, argv: string[], env: Record<string, string> = {}): GroupProcess {
  const [command, ...args] = argv;
  const child = spawn(command!, args, {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin!.on('error', () => {});
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null && spawnError === undefined;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is already gone.
    }
  };
  return {
    child,
    get pid() {
      return child.pid!;
    },
    output: () => ({ stdout, stderr }),
    waitForOutput: async (pattern, timeoutMs, what) => {
      let match: RegExpMatchArray | null = null;
      try {
        await waitFor(
          () => {
            match = (stdout + stderr).match(pattern);
            if (match === null && !running())
              throw new Error(`exited (${spawnError?.message ?? child.exitCode ?? child.signalCode})`);
            return match !== null;
          },
          timeoutMs,
          what,
        );
      } catch (error) {
        throw new Error(
          `${label}: no ${what}: ${(error as Error).message}; its output:\n${(stdout + stderr).slice(-3000)}`,
        );
      }
      return match!;
    },
    stop: async (graceMs = 5_000) => {
      if (child.pid === undefined) return;
      if (running()) signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader may be gone while something it forked still runs in the group.
      signal('SIGKILL');
    },
  };
}
