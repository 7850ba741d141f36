import type { OriginSpec } from '../harness/origin/origin-client.js';
import type { LoadServerKind } from './load-servers.js';
import type { ToolName } from './peers.js';
import type { PruneScenario } from './run-prune-scenario.js';
import type { RequestMix } from './wrk-script.js';

/**
 * The benchmark's scenarios, as data: what the origin serves, which tools
 * run, and the targets from issue 2 (fetch), issue 3 (fleet mode) and
 * issue 6 (load) that image-loader is held to.
 */
export type ScenarioId =
  | 'small'
  | 'large'
  | 'many'
  | 'rerun'
  | 'fresh'
  | 'million'
  | 'fleet'
  | 'enqueue'
  | 'memory'
  | 'web-load'
  | 'worker-rss'
  | 'prune'
  | 'metrics';

/** A target for image-loader's figures; `max` is inclusive. */
export type Target =
  | { metric: 'wall-vs-floor'; max: number; label: string }
  | { metric: 'wall-vs-tool'; tool: ToolName; max: number; label: string }
  /** One image-loader variant's median wall time over another's (both in the scenario's tools). */
  | { metric: 'variant-vs-variant'; tool: ToolName; baseline: ToolName; max: number; label: string }
  | { metric: 'peak-rss-mib'; max: number; label: string }
  | { metric: 'origin-body-bytes'; max: number; label: string }
  | { metric: 'origin-requests'; max: number; label: string }
  | { metric: 'wall-s'; max: number; label: string };

export interface DownloadScenario {
  kind: 'download';
  id: ScenarioId;
  title: string;
  origin: OriginSpec;
  /** In the order they run within each round of runs. */
  tools: ToolName[];
  /**
   * When set, each run first fills a fresh directory with an untimed run of
   * the same tool, then times a second run on it (aria2c's second run uses
   * --conditional-get).
   */
  rerun: boolean;
  /**
   * When true, every other round of runs takes the tools in reverse order, so that neither always runs first
   * (after the origin's idle time) or second (on a warm page cache): for comparing close variants.
   */
  alternate?: boolean;
  /** The latency floor `count x latency / concurrency`, when it is the floor (scenario 1). */
  latencyFloor: boolean;
  targets: Target[];
}

export interface ParseScenario {
  kind: 'parse';
  id: 'million';
  title: string;
  lines: number;
  distinct: number;
  targets: Target[];
}

/**
 * Issue 3: scenario 1's list through the fleet (coordinator, workers,
 * Redis), next to `fetch` on the same list in the same invocation.
 */
export interface FleetScenario {
  kind: 'fleet';
  id: 'fleet';
  title: string;
  origin: OriginSpec;
  /** Worker processes of each fleet variant; the bench's --concurrency is split evenly among them, so every variant has fetch's total. */
  workerCounts: number[];
  /** Target: a fleet round's durationMs at most this many times fetch's wall time. */
  maxRatioToFetch: number;
}

/** Issue 3: how fast a coordinator enqueues a large list and what each waiting job costs Redis (no worker runs). */
export interface EnqueueScenario {
  kind: 'enqueue';
  id: 'enqueue';
  title: string;
  urls: number;
  /** Target: from the "round started" to the "round enqueued" log line. */
  maxEnqueueMs: number;
}

/** Issue 3: Redis memory over many rounds of the same list (all 304s after the first). */
export interface MemoryScenario {
  kind: 'memory';
  id: 'memory';
  title: string;
  origin: OriginSpec;
  rounds: number;
  /** used_memory after this round is the baseline: by then the metadata and BullMQ's capped event stream are full. */
  baselineRound: number;
  /** Target: used_memory after the last round at most this fraction above (or below) the baseline. */
  maxDrift: number;
}

export type FleetModeScenario = FleetScenario | EnqueueScenario | MemoryScenario;

/**
 * Issue 6: wrk against `image-loader web` on a store built by a real
 * `fetch` round, and against peer servers on the same store in the same
 * run. Duration and connections come from --load-secs and
 * --load-connections.
 */
export interface WebLoadScenario {
  kind: 'web-load';
  id: 'web-load';
  title: string;
  origin: OriginSpec;
  /** Each run loads every server with each of these request mixes in turn. */
  mixes: { name: string; shares: RequestMix }[];
  /** wrk's -t: wrk shares the machine's cores with the server under test. */
  threads: number;
  /** An untimed wrk run first, so the JIT, the page cache and the server's pools are warm when RSS is first read. */
  warmupSecs: number;
  /** Each run measures these in this order; nginx is left out, with a note, when it is not installed. */
  servers: LoadServerKind[];
  rssSampleIntervalMs: number;
}

/**
 * Issue 6: one worker at a high concurrency through a large round with some
 * large images, its resident set sampled throughout; `fetch` at the same
 * concurrency on the same list as the single-process peer.
 */
export interface WorkerRssScenario {
  kind: 'worker-rss';
  id: 'worker-rss';
  title: string;
  origin: OriginSpec;
  /** The worker's --concurrency (and --per-host, --fleet-per-host: the origin is the only host), and fetch's. */
  concurrency: number;
  rssSampleIntervalMs: number;
  /** The bound stated in bench/RESULTS.md, from measured runs: the worker's peak RSS (VmHWM) must stay under it. */
  maxPeakRssMib: number | undefined;
}

export type LoadScenario = WebLoadScenario | WorkerRssScenario;

export type Scenario = DownloadScenario | ParseScenario | FleetModeScenario | LoadScenario | PruneScenario;

const KIB = 1024;
const MIB = 1024 * KIB;
const SMALL: OriginSpec = { count: 2000, bytes: 50 * KIB, latencyMs: 50 };

export const SCENARIOS: readonly Scenario[] = [
  {
    kind: 'download',
    id: 'small',
    title: '1. 2,000 images x 50 KiB, 50 ms latency',
    origin: SMALL,
    tools: ['image-loader', 'curl', 'aria2c', 'undici-floor', 'undici-discard'],
    rerun: false,
    latencyFloor: true,
    targets: [
      { metric: 'wall-vs-floor', max: 1.1, label: 'within 10% of the 6.25 s latency floor' },
      { metric: 'wall-vs-tool', tool: 'curl', max: 1, label: 'faster than curl' },
    ],
  },
  {
    kind: 'download',
    id: 'large',
    title: '2. 200 images x 5 MiB, 20 ms latency',
    origin: { count: 200, bytes: 5 * MIB, latencyMs: 20, floorBytes: 200 * 5 * MIB },
    tools: ['image-loader', 'curl', 'aria2c', 'curl-floor', 'undici-floor', 'undici-discard'],
    rerun: false,
    latencyFloor: false,
    targets: [
      { metric: 'wall-vs-tool', tool: 'curl', max: 1, label: 'no slower than curl' },
      {
        metric: 'wall-vs-tool',
        tool: 'curl-floor',
        max: 1.5,
        label: 'within 1.5x of one curl -o of the same 1000 MiB',
      },
      { metric: 'peak-rss-mib', max: 100, label: 'peak RSS under 100 MB' },
    ],
  },
  {
    kind: 'download',
    id: 'many',
    title: '3. 10,000 images x 10 KiB, 0 ms latency',
    origin: { count: 10_000, bytes: 10 * KIB, latencyMs: 0 },
    tools: ['image-loader', 'curl', 'aria2c', 'undici-floor', 'undici-discard'],
    rerun: false,
    latencyFloor: false,
    targets: [{ metric: 'wall-vs-tool', tool: 'curl', max: 1, label: 'no slower than curl' }],
  },
  {
    kind: 'download',
    id: 'rerun',
    title: '4. re-run of 1, nothing changed (conditional requests)',
    origin: SMALL,
    tools: ['image-loader', 'aria2c'],
    rerun: true,
    latencyFloor: true,
    targets: [
      { metric: 'origin-body-bytes', max: 0, label: '0 body bytes served (all 304)' },
      { metric: 'wall-vs-tool', tool: 'aria2c', max: 1, label: 'faster than aria2c --conditional-get' },
    ],
  },
  {
    kind: 'download',
    id: 'fresh',
    title: '5. re-run of 1, origin sends Cache-Control: max-age=3600',
    origin: { ...SMALL, cacheControl: 'max-age=3600' },
    tools: ['image-loader', 'aria2c'],
    rerun: true,
    latencyFloor: false,
    targets: [
      { metric: 'origin-requests', max: 0, label: 'no request at all' },
      { metric: 'wall-s', max: 1, label: 'well under a second' },
    ],
  },
  {
    kind: 'parse',
    id: 'million',
    title: '6. parse and deduplicate a 1,000,000-line list (500,000 distinct)',
    lines: 1_000_000,
    distinct: 500_000,
    targets: [],
  },
  {
    kind: 'fleet',
    id: 'fleet',
    title: '7. fleet: scenario 1 (2,000 images x 50 KiB, 50 ms latency) through Redis',
    origin: SMALL,
    workerCounts: [1, 2],
    maxRatioToFetch: 1.15,
  },
  {
    kind: 'enqueue',
    id: 'enqueue',
    title: '8. fleet: enqueue a 100,000-URL list (no worker running)',
    urls: 100_000,
    maxEnqueueMs: 10_000,
  },
  {
    kind: 'memory',
    id: 'memory',
    title: '9. fleet: Redis memory over 20 rounds of a 10,000-URL list (304s after the first)',
    // 0 ms: the rounds test Redis's bookkeeping, not the origin's latency, and 20 of them must fit in minutes.
    origin: { count: 10_000, bytes: 2 * KIB, latencyMs: 0 },
    rounds: 20,
    baselineRound: 2,
    maxDrift: 0.1,
  },
  {
    kind: 'web-load',
    id: 'web-load',
    title: '10. load: wrk against `image-loader web` on 1,000 stored images of 5-200 KiB',
    origin: { count: 1000, bytes: 5 * KIB, latencyMs: 0, spread: { maxBytes: 200 * KIB } },
    mixes: [
      { name: 'images', shares: { images: 0.99, listings: 0, healthz: 0.01 } },
      // The human tree's img/ folder holds all 1,000 images: serve-index stats every entry of it per listing.
      { name: 'images and listings', shares: { images: 0.97, listings: 0.02, healthz: 0.01 } },
    ],
    threads: 2,
    warmupSecs: 5,
    servers: ['image-loader', 'image-loader-packaged', 'nginx', 'nginx-auto', 'node-http'],
    rssSampleIntervalMs: 1000,
  },
  {
    kind: 'worker-rss',
    id: 'worker-rss',
    title: '11. load: one worker at --concurrency 64 on 10,000 URLs of 5-200 KiB and 64 of 5 MiB',
    // 20 ms before each answer keeps all 64 slots busy; the 64 large images come one after another in the list,
    // so at one point every slot holds a 5 MiB body: 320 MiB if bodies were buffered.
    origin: {
      count: 10_000,
      bytes: 5 * KIB,
      latencyMs: 20,
      spread: { maxBytes: 200 * KIB, large: { first: 5000, count: 64, bytes: 5 * MIB } },
    },
    concurrency: 64,
    rssSampleIntervalMs: 200,
    // 2026-11-28: VmHWM 150-192 MiB over 10 runs (5 under a load average of 7-9, 5 under 1-3), 80-88 MiB idle;
    // the bound leaves a third on top of the highest.
    maxPeakRssMib: 256,
  },
  {
    kind: 'prune',
    id: 'prune',
    title: '12. store size: 1,000 URLs of 20 KiB whose images all change every round, 50 rounds, --keep-replaced 0',
    urls: 1000,
    imageBytes: 20 * KIB,
    rounds: 50,
    reportEvery: 10,
    maxPruneShare: 0.05,
  },
  {
    // Issue 16: what the Prometheus registry costs on the hot path. The two variants alternate within each
    // round of runs, so a change in the machine's load falls on both.
    kind: 'download',
    id: 'metrics',
    title: '13. metrics cost: scenario 1 with and without `--metrics-port 0`',
    origin: SMALL,
    tools: ['image-loader', 'image-loader-metrics'],
    alternate: true,
    rerun: false,
    latencyFloor: true,
    targets: [
      {
        metric: 'variant-vs-variant',
        tool: 'image-loader-metrics',
        baseline: 'image-loader',
        max: 1.02,
        label: 'with --metrics-port within 2% of without',
      },
    ],
  },
];

export const SCENARIO_IDS: readonly ScenarioId[] = SCENARIOS.map((scenario) => scenario.id);

/**
 * What runs without --scenarios: the load scenarios need wrk and take minutes each, and the metrics cost is a
 * comparison of image-loader with itself, so they are asked for by name.
 */
export const DEFAULT_SCENARIO_IDS: readonly ScenarioId[] = SCENARIOS.filter(
  (scenario) =>
    scenario.kind !== 'web-load' &&
    scenario.kind !== 'worker-rss' &&
    scenario.kind !== 'prune' &&
    scenario.id !== 'metrics',
).map((scenario) => scenario.id);
