import { type CliOptions, type CliProcess, startCli } from './cli-process.js';
import type { LogLine } from './log-line.js';
import { waitFor } from './wait-for.js';

/** A coordinator or worker process, with its JSON log parsed as it comes. */
export interface FleetProcess extends CliProcess {
  logs(): LogLine[];
  /** Waits until a log line matches, and returns it. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<number | null>;
}

export function startFleetProcess(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
  options: Pick<CliOptions, 'user'> = {},
): FleetProcess {
  const process = startCli(args, { env, timeoutMs, ...options });
  const logs = (): LogLine[] => {
    const lines: LogLine[] = [];
    for (const text of process.output().stdout.split('\n')) {
      if (text.trim() === '') continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        throw new Error(`a log line is not JSON: ${text}`);
      }
    }
    return lines;
  };
  return {
    ...process,
    logs,
    waitForLog: async (predicate, waitMs = 20_000, what = 'a log line') => {
      let found: LogLine | undefined;
      await waitFor(
        () => (found = logs().find(predicate)) !== undefined,
        waitMs,
        `${what}; stderr so far: ${process.output().stderr.slice(-2000)}`,
      );
      return found!;
    },
    stop: async () => {
      process.child.kill('SIGTERM');
      return (await process.done).code;
    },
  };
}

/** Environment for fleet processes of one test: its Redis, its own key prefix, a short stall interval. */
export function fleetEnv(redisUrl: string, prefix: string): Record<string, string> {
  return { IMAGE_LOADER_REDIS: redisUrl, IMAGE_LOADER_PREFIX: prefix, IMAGE_LOADER_STALLED_INTERVAL: '2s' };
}

export function startWorker(env: Record<string, string>, store: string, ...flags: string[]): FleetProcess {
  return startFleetProcess(['worker', '--store', store, '--allow-private', ...flags], env);
}

export function startCoordinator(env: Record<string, string>, list: string, ...flags: string[]): FleetProcess {
  return startFleetProcess(['coordinator', '--list', list, ...flags], env);
}

/** Waits for the n-th (1-based) "round completed" line of a coordinator and returns it. */
export async function roundCompleted(coordinator: FleetProcess, n = 1, timeoutMs = 60_000): Promise<LogLine> {
  await coordinator.waitForLog(
    () => coordinator.logs().filter((line) => line.msg === 'round completed').length >= n,
    timeoutMs,
    `round ${n} to complete`,
  );
  return coordinator.logs().filter((line) => line.msg === 'round completed')[n - 1]!;
}
