import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killChild, trackChild } from './child-processes.js';
import type { OriginCounters } from './origin-counters.js';

export interface OriginSpec {
  count: number;
  bytes: number;
  latencyMs: number;
  cacheControl?: string | undefined;
  /** Size of the streamed floor file; 0 for none. */
  floorBytes?: number | undefined;
}

/** The bench's handle on an origin process (see origin-process.ts). */
export interface BenchOrigin {
  /** `http://127.0.0.1:PORT` */
  url: string;
  reset(): Promise<void>;
  counters(): Promise<OriginCounters>;
  close(): Promise<void>;
}

const ORIGIN_SCRIPT = fileURLToPath(new URL('./origin-process.js', import.meta.url));
const CONTROL_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;

/** Starts an origin process and waits (at most `startTimeoutMs`) for it to print its URL. */
export async function startBenchOrigin(spec: OriginSpec, startTimeoutMs: number): Promise<BenchOrigin> {
  const args = [ORIGIN_SCRIPT, '--count', String(spec.count), '--bytes', String(spec.bytes), '--latency-ms', String(spec.latencyMs)];
  if (spec.cacheControl) args.push('--cache-control', spec.cacheControl);
  if (spec.floorBytes) args.push('--floor-bytes', String(spec.floorBytes));
  // Detached: its own process group, killed as a group like the tools (child-processes.ts).
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  trackChild(child);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`origin did not start within ${startTimeoutMs / 1000} s`)), startTimeoutMs);
    const lines = createInterface({ input: child.stdout! });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      lines.close();
      killChild(child);
      reject(error);
    };
    const onExit = (code: number | null, signal: string | null): void => fail(new Error(`origin exited before it was ready (code ${code}, signal ${signal})`));
    child.once('exit', onExit);
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        fail(new Error(`origin printed an unexpected line: ${line.slice(0, 200)}`));
      }
    });
  });

  const control = async (path: string): Promise<Response> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`origin ${path} answered HTTP ${response.status}`);
    return response;
  };

  return {
    url,
    reset: async () => void (await (await control('/__reset')).arrayBuffer()),
    counters: async () => (await (await control('/__stats')).json()) as OriginCounters,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      killChild(child, 'SIGTERM');
      const timer = setTimeout(() => killChild(child), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
