import { readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { StoreLayout } from '../core/store/store-layout.js';
import { imagePath } from '../harness/origin/image-set.js';
import type { OriginCounters } from '../harness/origin/origin-client.js';
import { processTree, readProcessUsage } from '../harness/process-usage.js';
import { type RssSampler, type RssTrace, sampleRss } from '../harness/rss-sampler.js';
import { flushDisk, freshDir, removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { withFleet } from './fleet-harness.js';
import { measure } from './measure.js';
import { imageLoaderCommand, type ListFiles, writeListFiles } from './peers.js';
import { failureOf } from './run-download-scenario.js';
import { type ScenarioOrigin, startScenarioOrigin } from './scenario-origin.js';
import type { WorkerRssScenario } from './scenarios.js';
import { type Verification, verifyImageLoaderStore } from './verify.js';

export type RssVariant = 'worker' | 'fetch';

/** One round of the list by a worker (with its coordinator and Redis) or by `fetch`, its resident set watched. */
export interface RssRun {
  variant: RssVariant;
  run: number;
  /** Worker: the round's durationMs. fetch: spawn to exit. */
  roundMs: number | undefined;
  /** Worker: its VmRSS once it has said "worker started" (connected, idle), just before the coordinator starts. */
  baselineKib: number | undefined;
  /** Worker: from the coordinator's start to the "round completed" line. fetch: from its spawn to its last reading before it exited. */
  rss: RssTrace | undefined;
  /** The peak no sample can miss: the worker's VmHWM after the round, fetch's ru_maxrss (GNU time %M). */
  highWaterKib: number | undefined;
  /** CPU time of the worker from its start to the round's end, or of fetch. */
  cpuMs: number | undefined;
  counters: OriginCounters | undefined;
  verification: Verification | undefined;
  failure: string | undefined;
}

export interface WorkerRssResult {
  kind: 'worker-rss';
  scenario: WorkerRssScenario;
  redisAof: boolean;
  runs: RssRun[];
}

const VARIANTS: readonly RssVariant[] = ['worker', 'fetch'];

/**
 * Scenario 11: each run, a fresh Redis, one worker at the scenario's
 * concurrency and a coordinator doing one round of the list, the worker's
 * VmRSS read every few hundred ms; then `fetch` at the same concurrency on
 * the same list, read the same way. Every store is checked file by file.
 */
export async function runWorkerRssScenario(
  scenario: WorkerRssScenario,
  options: BenchOptions,
): Promise<WorkerRssResult> {
  const started = await startScenarioOrigin(scenario.id, scenario.origin, options);
  const { dir, origin, expected } = started;
  const runs: RssRun[] = [];
  try {
    const urls = expected.map((_, index) => `${origin.url}${imagePath(index)}`);
    const context: RssContext = { ...started, scenario, options, urls, lists: await writeListFiles(urls, dir) };
    for (let run = 1; run <= options.runs; run++) {
      for (const variant of VARIANTS)
        runs.push(logRun(context, variant === 'worker' ? await runWorker(context, run) : await runFetch(context, run)));
    }
  } finally {
    await origin.close();
    removeDir(dir);
  }
  return { kind: 'worker-rss', scenario, redisAof: options.redisAof, runs };
}

/** The scenario's origin (its folder, process and expected hashes) and the list of its URLs. */
interface RssContext extends ScenarioOrigin {
  scenario: WorkerRssScenario;
  options: BenchOptions;
  urls: string[];
  lists: ListFiles;
}

const NOTHING: Omit<RssRun, 'variant' | 'run'> = {
  roundMs: undefined,
  baselineKib: undefined,
  rss: undefined,
  highWaterKib: undefined,
  cpuMs: undefined,
  counters: undefined,
  verification: undefined,
  failure: undefined,
};

async function runWorker(context: RssContext, run: number): Promise<RssRun> {
  const { scenario, options, origin, lists, urls, expected } = context;
  const runDir = freshDir(join(context.dir, `worker-run${run}`));
  const store = join(runDir, 'store');
  const concurrency = scenario.concurrency;
  try {
    return await withFleet(runDir, options.redisAof, async (fleet) => {
      const [worker] = await fleet.startWorkers(1, store, {
        concurrency,
        perHost: concurrency,
        fleetPerHost: concurrency,
      });
      flushDisk();
      await origin.reset();
      const baselineKib = worker!.usage()?.rssKib;
      const sampler = sampleRss(() => worker!.usage()?.rssKib, scenario.rssSampleIntervalMs);
      const coordinator = fleet.startCoordinator(lists.listFile, store);
      let completed;
      try {
        completed = await coordinator.waitForLog(
          (line) => line.msg === 'round completed',
          options.runTimeoutMs,
          '"round completed" line',
        );
      } catch (error) {
        return {
          variant: 'worker',
          run,
          ...NOTHING,
          baselineKib,
          rss: sampler.stop(),
          failure: (error as Error).message,
        };
      }
      const rss = sampler.stop();
      const usage = worker!.usage();
      const counters = await origin.counters();
      const verification = await verifyImageLoaderStore(store, new StoreLayout(store).lastRoundFile, urls, expected);
      return {
        variant: 'worker',
        run,
        roundMs: typeof completed.durationMs === 'number' ? completed.durationMs : undefined,
        baselineKib,
        rss,
        highWaterKib: usage?.peakRssKib,
        cpuMs: usage?.cpuMs,
        counters,
        verification,
        failure: verification.ok
          ? undefined
          : `verification failed (${verification.verified} good): ${verification.problems.join('; ')}`,
      };
    });
  } catch (error) {
    // Redis or the worker did not start: this run fails, the others still run.
    return { variant: 'worker', run, ...NOTHING, failure: (error as Error).message };
  } finally {
    removeDir(runDir);
  }
}

async function runFetch(context: RssContext, run: number): Promise<RssRun> {
  const { scenario, options, origin, lists, urls, expected } = context;
  const runDir = freshDir(join(context.dir, `fetch-run${run}`));
  const store = join(runDir, 'store');
  let sampler: RssSampler | undefined;
  try {
    flushDisk();
    await origin.reset();
    const timed = await measure(
      imageLoaderCommand(lists, store, scenario.concurrency, scenario.concurrency),
      runDir,
      'fetch',
      options.runTimeoutMs,
      (timePid) => {
        // GNU time's only child becomes fetch's node process a moment after time starts; before its exec it is a copy of time.
        let pid: number | undefined;
        sampler = sampleRss(() => {
          pid ??= processTree(timePid).slice(1).find(runsNode);
          return pid === undefined ? undefined : readProcessUsage(pid)?.rssKib;
        }, scenario.rssSampleIntervalMs);
      },
    );
    const rss = sampler?.stop();
    const counters = await origin.counters();
    const verification = await verifyImageLoaderStore(store, timed.stdoutFile, urls, expected);
    const failure = await failureOf(timed, verification, options.runTimeoutMs);
    return {
      variant: 'fetch',
      run,
      ...NOTHING,
      roundMs: timed.wallMs,
      rss,
      highWaterKib: timed.peakRssKib,
      cpuMs: timed.cpuMs,
      counters,
      verification,
      failure,
    };
  } finally {
    sampler?.stop();
    removeDir(runDir);
  }
}

function runsNode(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === realpathSync(process.execPath);
  } catch {
    return false;
  }
}

function logRun(context: RssContext, result: RssRun): RssRun {
  const mib = (kib: number | undefined): string => (kib === undefined ? '?' : (kib / 1024).toFixed(0));
  const seconds = result.roundMs === undefined ? '?' : (result.roundMs / 1000).toFixed(2);
  const baseline = result.variant === 'worker' ? `baseline ${mib(result.baselineKib)}, ` : '';
  const outcome = result.failure === undefined ? 'verified' : `FAILED: ${result.failure}`;
  context.options.log(
    `[${context.scenario.id}] ${result.variant} run ${result.run}/${context.options.runs}: ${seconds} s; RSS MiB ${baseline}peak ${mib(result.rss?.peakKib)} (high-water ${mib(result.highWaterKib)}), end ${mib(result.rss?.endKib)}; ${result.rss?.samples.length ?? 0} samples; ${outcome}`,
  );
  return result;
}
