import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { killChild, trackChild } from './child-processes.js';
import { IMAGE_LOADER_CLI } from './cli-process.js';
import type { LogLine } from './log-line.js';
import { type ProcessUsage, processTree, sumUsage } from './process-usage.js';

/**
 * A long-running image-loader process (worker, coordinator, web node) as the bench
 * drives it: stdout and stderr go to files, as for the tools of the other
 * scenarios, so the bench reads no pipe while the fleet works; its log is
 * read from the file only while the bench waits for a line (a worker logs a
 * line per URL, read by nobody once it has said it started).
 */
export interface FleetService {
  label: string;
  /** When it was spawned (epoch ms, the clock of the log lines' `time`). */
  spawnedAt: number;
  /** Waits until a log line matches and returns it; fails when the process exits first or `timeoutMs` passes. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** Every log line so far (reads the rest of the file: for a worker, once its work is done). */
  logs(): LogLine[];
  /** CPU and peak RSS so far; undefined once it has exited. */
  usage(): ProcessUsage | undefined;
  /** SIGTERM (the clean stop), SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs: number): Promise<number | null>;
}

const POLL_MS = 20;
const READ_CHUNK_BYTES = 1024 * 1024;
const STDERR_TAIL_CHARS = 500;

/** Spawns `node dist/cli/image-loader.cjs ARGS` with its log in `logDir/label.stdout`; only the flags configure it (no IMAGE_LOADER_* from the bench's environment). */
export function startFleetService(args: string[], logDir: string, label: string): FleetService {
  const stdoutFile = join(logDir, `${label}.stdout`);
  const stderrFile = join(logDir, `${label}.stderr`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('IMAGE_LOADER_')));
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [IMAGE_LOADER_CLI, ...args], {
    stdio: ['ignore', out, err],
    detached: true,
    env,
  });
  closeSync(out);
  closeSync(err);
  trackChild(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const lines: LogLine[] = [];
  let offset = 0;
  let partial = '';
  const readNewLines = (): void => {
    const fd = openSync(stdoutFile, 'r');
    try {
      const buffer = Buffer.alloc(READ_CHUNK_BYTES);
      for (let read; (read = readSync(fd, buffer, 0, buffer.length, offset)) > 0; ) {
        offset += read;
        const text = partial + buffer.toString('utf8', 0, read);
        const complete = text.split('\n');
        partial = complete.pop() ?? '';
        for (const line of complete) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      }
    } finally {
      closeSync(fd);
    }
  };
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;

  return {
    label,
    spawnedAt,
    waitForLog: async (predicate, timeoutMs, what) => {
      const deadline = Date.now() + timeoutMs;
      let searched = 0;
      for (;;) {
        const gone = hasExited();
        readNewLines();
        for (; searched < lines.length; searched++) if (predicate(lines[searched]!)) return lines[searched]!;
        if (gone || Date.now() > deadline) {
          const stderr = readFileSync(stderrFile, 'utf8').trim().slice(-STDERR_TAIL_CHARS);
          const why = gone
            ? `it exited (code ${child.exitCode}, signal ${child.signalCode})`
            : `${timeoutMs / 1000} s passed`;
          throw new Error(`${label}: no ${what}: ${why}; stderr: ${stderr || '(empty)'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    logs: () => {
      readNewLines();
      return lines;
    },
    usage: () => (child.pid === undefined || hasExited() ? undefined : sumUsage(processTree(child.pid))),
    stop: async (timeoutMs) => {
      if (hasExited()) return child.exitCode;
      killChild(child, 'SIGTERM');
      const timer = setTimeout(() => killChild(child), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
