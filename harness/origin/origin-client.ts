import { fileURLToPath } from 'node:url';
import { startUrlProcess } from '../url-process.js';
import type { SizeSpread } from './image-set.js';

/** What the bench origin served since its last `/__reset` (control requests excluded). */
export interface OriginCounters {
  /** Requests for images or the floor file. */
  requests: number;
  /** Body bytes of 200 responses actually written. */
  bodyBytes: number;
  /** 304 answers (If-None-Match or If-Modified-Since). */
  notModified: number;
  /** Most requests in flight at once: the concurrency the tool really used. */
  maxInFlight: number;
}

export interface OriginSpec {
  count: number;
  /** Size of every image; with `spread`, of the smallest. */
  bytes: number;
  spread?: SizeSpread | undefined;
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

/** Starts an origin process and waits (at most `startTimeoutMs`) for it to print its URL. */
export async function startBenchOrigin(spec: OriginSpec, startTimeoutMs: number): Promise<BenchOrigin> {
  const args = ['--count', String(spec.count), '--bytes', String(spec.bytes), '--latency-ms', String(spec.latencyMs)];
  if (spec.cacheControl) args.push('--cache-control', spec.cacheControl);
  if (spec.floorBytes) args.push('--floor-bytes', String(spec.floorBytes));
  if (spec.spread) args.push('--spread', JSON.stringify(spec.spread));
  const { url, close } = await startUrlProcess(ORIGIN_SCRIPT, args, startTimeoutMs, 'origin');

  const control = async (path: string): Promise<Response> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`origin ${path} answered HTTP ${response.status}`);
    return response;
  };

  return {
    url,
    reset: async () => void (await (await control('/__reset')).arrayBuffer()),
    counters: async () => (await (await control('/__stats')).json()) as OriginCounters,
    close,
  };
}
