import { join } from 'node:path';
import { StoreLayout } from '../core/store/store-layout.js';
import type { LogLine } from '../harness/log-line.js';
import { imagePath } from '../harness/origin/image-set.js';
import type { BenchOrigin, OriginCounters } from '../harness/origin/origin-client.js';
import type { RedisServer } from '../harness/redis-server.js';
import { flushDisk, freshDir, removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { withFleet } from './fleet-harness.js';
import { measure } from './measure.js';
import { imageLoaderCommand, type ListFiles, writeListFiles } from './peers.js';
import { failureOf } from './run-download-scenario.js';
import { startScenarioOrigin } from './scenario-origin.js';
import type { FleetScenario } from './scenarios.js';
import { type Verification, verifyImageLoaderStore } from './verify.js';

/** `fetch`, or a fleet of `workers` processes at `concurrencyPerWorker` each. */
export type FleetVariant = { kind: 'fetch' } | { kind: 'fleet'; workers: number; concurrencyPerWorker: number };

/** Where a fleet round's time went, from its coordinator's and workers' log lines (ms). */
export interface FleetPhases {
  /** Coordinator spawn to "round started": Node start-up, Redis connection, the job scheduler firing. */
  startupMs: number;
  /** "round started" to "round enqueued". */
  enqueueMs: number;
  /** "round started" to the first URL a worker settled. */
  firstUrlMs: number;
  /** "round started" to the last URL a worker settled; the round ends at the coordinator's next check of the ledger. */
  lastUrlMs: number;
}

export interface FleetRunResult {
  variant: FleetVariant;
  run: number;
  /** fetch: spawn to exit. Fleet: coordinator spawn to its "round completed" line. */
  wallMs: number;
  /** Fleet: the round's own durationMs ("round started" to the summary written). */
  roundMs: number | undefined;
  phases: FleetPhases | undefined;
  /** CPU time of fetch, or summed over the workers (both include Node's start-up). */
  toolCpuMs: number | undefined;
  /** Fleet: of toolCpuMs, what the workers had used before the coordinator started (start-up, connecting, waiting). */
  workerIdleCpuMs: number | undefined;
  coordinatorCpuMs: number | undefined;
  redisCpuMs: number | undefined;
  /** Commands Redis processed during the round, per URL of the list (those run inside Lua scripts included). */
  redisCommandsPerUrl: number | undefined;
  /** The same by command name (INFO commandstats): `evalsha` counts the scripts, the others mostly what they ran. */
  redisCommandMix: Record<string, number> | undefined;
  /** fetch's peak RSS, or the highest of the workers'. */
  peakRssKib: number | undefined;
  counters: OriginCounters | undefined;
  verification: Verification | undefined;
  failure: string | undefined;
}

export interface FleetResult {
  kind: 'fleet';
  scenario: FleetScenario;
  concurrency: number;
  redisAof: boolean;
  variants: FleetVariant[];
  runs: FleetRunResult[];
}

const SETTLED_MESSAGES = new Set(['url downloaded', 'url unchanged', 'url failed']);

/**
 * Scenario 7: each run times `fetch`, then a fleet round with one worker,
 * then with two, on the same list and origin; every fleet run has a fresh
 * Redis and a fresh store, so every image is downloaded, and its store is
 * verified file by file from the coordinator's last-round.json.
 */
export async function runFleetScenario(scenario: FleetScenario, options: BenchOptions): Promise<FleetResult> {
  const { dir, origin, expected } = await startScenarioOrigin(scenario.id, scenario.origin, options);
  const variants: FleetVariant[] = [
    { kind: 'fetch' },
    ...scenario.workerCounts.map((workers) => ({
      kind: 'fleet' as const,
      workers,
      concurrencyPerWorker: Math.floor(options.concurrency / workers),
    })),
  ];

  const runs: FleetRunResult[] = [];
  try {
    const urls = expected.map((_, index) => `${origin.url}${imagePath(index)}`);
    const context: FleetContext = { options, origin, urls, expected, lists: await writeListFiles(urls, dir), dir };
    for (let run = 1; run <= options.runs; run++) {
      for (const variant of variants) {
        const result = variant.kind === 'fetch' ? await runFetch(context, run) : await runFleet(context, variant, run);
        runs.push(logResult(context, scenario, result));
      }
    }
  } finally {
    await origin.close();
    removeDir(dir);
  }
  return { kind: 'fleet', scenario, concurrency: options.concurrency, redisAof: options.redisAof, variants, runs };
}

export function variantLabel(variant: FleetVariant): string {
  return variant.kind === 'fetch'
    ? 'fetch'
    : `fleet: ${variant.workers} worker${variant.workers === 1 ? '' : 's'} x --concurrency ${variant.concurrencyPerWorker}`;
}

interface FleetContext {
  options: BenchOptions;
  origin: BenchOrigin;
  urls: string[];
  expected: string[];
  lists: ListFiles;
  dir: string;
}

async function runFetch(context: FleetContext, run: number): Promise<FleetRunResult> {
  const { options, origin, dir, lists, urls, expected } = context;
  const store = freshDir(join(dir, `fetch-run${run}`));
  try {
    flushDisk();
    await origin.reset();
    const timed = await measure(
      imageLoaderCommand(lists, store, options.concurrency, options.perHost),
      dir,
      `fetch-run${run}`,
      options.runTimeoutMs,
    );
    const counters = await origin.counters();
    const verification = await verifyImageLoaderStore(store, timed.stdoutFile, urls, expected);
    const failure = await failureOf(timed, verification, options.runTimeoutMs);
    return {
      variant: { kind: 'fetch' },
      run,
      wallMs: timed.wallMs,
      roundMs: undefined,
      phases: undefined,
      toolCpuMs: timed.cpuMs,
      workerIdleCpuMs: undefined,
      coordinatorCpuMs: undefined,
      redisCpuMs: undefined,
      redisCommandsPerUrl: undefined,
      redisCommandMix: undefined,
      peakRssKib: timed.peakRssKib,
      counters,
      verification,
      failure,
    };
  } finally {
    removeDir(store);
  }
}

async function runFleet(
  context: FleetContext,
  variant: Extract<FleetVariant, { kind: 'fleet' }>,
  run: number,
): Promise<FleetRunResult> {
  const { options, origin, dir, lists, urls, expected } = context;
  const runDir = freshDir(join(dir, `fleet-${variant.workers}w-run${run}`));
  const store = join(runDir, 'store');
  const shape = { concurrency: variant.concurrencyPerWorker, perHost: options.perHost, fleetPerHost: options.perHost };
  try {
    return await withFleet(runDir, options.redisAof, async (fleet) => {
      const workers = await fleet.startWorkers(variant.workers, store, shape);
      flushDisk();
      await origin.reset();
      const idleUsage = workers.map((worker) => worker.usage());
      const before = redisCounters(fleet.redis);
      const coordinator = fleet.startCoordinator(lists.listFile, store);
      let completed: LogLine;
      try {
        completed = await coordinator.waitForLog(
          (line) => line.msg === 'round completed',
          options.runTimeoutMs,
          '"round completed" line',
        );
      } catch (error) {
        return failedRun(variant, run, Date.now() - coordinator.spawnedAt, (error as Error).message);
      }
      const after = redisCounters(fleet.redis);
      const counters = await origin.counters();
      const workerUsage = workers.map((worker) => worker.usage());
      const coordinatorUsage = coordinator.usage();
      const logs = coordinator.logs();
      const at = (line: LogLine | undefined): number => (line === undefined ? Number.NaN : Date.parse(line.time));
      const startedAt = at(logs.find((line) => line.msg === 'round started'));
      const settled = workers
        .flatMap((worker) => worker.logs())
        .filter((line) => SETTLED_MESSAGES.has(line.msg))
        .map(at);
      const phases: FleetPhases = {
        startupMs: startedAt - coordinator.spawnedAt,
        enqueueMs: at(logs.find((line) => line.msg === 'round enqueued')) - startedAt,
        firstUrlMs: Math.min(...settled) - startedAt,
        lastUrlMs: Math.max(...settled) - startedAt,
      };
      const verification = await verifyImageLoaderStore(store, new StoreLayout(store).lastRoundFile, urls, expected);
      const sum = (values: (number | undefined)[]): number | undefined =>
        values.some((value) => value === undefined)
          ? undefined
          : values.reduce<number>((total, value) => total + value!, 0);
      return {
        variant,
        run,
        wallMs: at(completed) - coordinator.spawnedAt,
        roundMs: typeof completed.durationMs === 'number' ? completed.durationMs : undefined,
        phases,
        toolCpuMs: sum(workerUsage.map((usage) => usage?.cpuMs)),
        workerIdleCpuMs: sum(idleUsage.map((usage) => usage?.cpuMs)),
        coordinatorCpuMs: coordinatorUsage?.cpuMs,
        redisCpuMs: after.cpuMs - before.cpuMs,
        redisCommandsPerUrl: (after.commands - before.commands) / urls.length,
        redisCommandMix: Object.fromEntries(
          Object.entries(after.calls).map(([name, calls]) => [name, (calls - (before.calls[name] ?? 0)) / urls.length]),
        ),
        peakRssKib: Math.max(...workerUsage.map((usage) => usage?.peakRssKib ?? 0)),
        counters,
        verification,
        failure: verification.ok
          ? undefined
          : `verification failed (${verification.verified} good): ${verification.problems.join('; ')}`,
      };
    });
  } catch (error) {
    // Redis or a worker that did not start: this run fails, the others still run.
    return failedRun(variant, run, Number.NaN, (error as Error).message);
  } finally {
    removeDir(runDir);
  }
}

/** Redis's own CPU time and command counts, to be taken before and after a round. */
function redisCounters(redis: RedisServer): { cpuMs: number; commands: number; calls: Record<string, number> } {
  return {
    cpuMs: redis.cpuMs(),
    commands: redis.infoNumber('stats', 'total_commands_processed'),
    calls: redis.commandCalls(),
  };
}

function failedRun(variant: FleetVariant, run: number, wallMs: number, failure: string): FleetRunResult {
  return {
    variant,
    run,
    wallMs,
    roundMs: undefined,
    phases: undefined,
    toolCpuMs: undefined,
    workerIdleCpuMs: undefined,
    coordinatorCpuMs: undefined,
    redisCpuMs: undefined,
    redisCommandsPerUrl: undefined,
    redisCommandMix: undefined,
    peakRssKib: undefined,
    counters: undefined,
    verification: undefined,
    failure,
  };
}

function logResult(context: FleetContext, scenario: FleetScenario, result: FleetRunResult): FleetRunResult {
  const seconds = (ms: number | undefined): string =>
    ms === undefined || Number.isNaN(ms) ? '?' : (ms / 1000).toFixed(2);
  const round = result.roundMs === undefined ? '' : `round ${seconds(result.roundMs)} s, `;
  const served = result.counters
    ? `; ${result.counters.requests} req, max ${result.counters.maxInFlight} in flight`
    : '';
  const outcome = result.failure === undefined ? 'verified' : `FAILED: ${result.failure}`;
  context.options.log(
    `[${scenario.id}] ${variantLabel(result.variant)} run ${result.run}/${context.options.runs}: ${round}wall ${seconds(result.wallMs)} s${served}; ${outcome}`,
  );
  return result;
}
