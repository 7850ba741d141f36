import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killChild, trackChild } from '../harness/child-processes.js';

/** One command line to measure. */
export interface Command {
  command: string;
  args: string[];
}

export interface Measurement {
  /** Wall time from spawn to exit, measured by the bench (performance.now), in ms. */
  wallMs: number;
  /** Peak resident set of the tool's process, in KiB: GNU time's %M (getrusage ru_maxrss of the child). */
  peakRssKib: number | undefined;
  /** User plus system CPU time of the tool's process: GNU time's %U + %S (10 ms resolution). */
  cpuMs: number | undefined;
  /** The tool's exit code as GNU time reports it (time exits with its child's code). */
  exitCode: number | null;
  timedOut: boolean;
  stdoutFile: string;
  stderrFile: string;
}

export const TIME_BINARY = '/usr/bin/time';

/**
 * Runs `command` under GNU time (`/usr/bin/time -f '%M %U %S' -o FILE`) in its own
 * process group, stdout and stderr to files in `logDir` (so the bench reads
 * no pipe while the tool runs), and kills the whole group after `timeoutMs`.
 * `onSpawn` gets GNU time's pid (the tool is its child), to watch the tool
 * while it runs.
 */
export async function measure(
  command: Command,
  logDir: string,
  label: string,
  timeoutMs: number,
  onSpawn?: (timePid: number) => void,
): Promise<Measurement> {
  const stdoutFile = join(logDir, `${label}.stdout`);
  const stderrFile = join(logDir, `${label}.stderr`);
  const timeFile = join(logDir, `${label}.time`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  let timedOut = false;
  const started = performance.now();
  try {
    const child = spawn(TIME_BINARY, ['-f', '%M %U %S', '-o', timeFile, command.command, ...command.args], {
      stdio: ['ignore', out, err],
      detached: true,
    });
    trackChild(child);
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killChild(child);
    }, timeoutMs);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    const wallMs = performance.now() - started;
    return { wallMs, ...(await readTimeFile(timeFile)), exitCode, timedOut, stdoutFile, stderrFile };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/** GNU time writes "Command exited with non-zero status N" before the format line when the child failed: take the last line. */
async function readTimeFile(file: string): Promise<{ peakRssKib: number | undefined; cpuMs: number | undefined }> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const match = /^(\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(text.trim().split('\n').pop() ?? '');
  return match === null
    ? { peakRssKib: undefined, cpuMs: undefined }
    : { peakRssKib: Number(match[1]), cpuMs: (Number(match[2]) + Number(match[3])) * 1000 };
}
