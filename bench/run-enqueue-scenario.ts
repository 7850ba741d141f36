import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOWNLOADS_QUEUE, FleetKeys } from '../core/fleet/fleet-keys.js';
import { imagePath } from '../harness/origin/image-set.js';
import { freshDir, removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { withFleet } from './fleet-harness.js';
import type { EnqueueScenario } from './scenarios.js';

export interface EnqueueRun {
  run: number;
  /** "round started" to "round enqueued", from the lines' times. */
  enqueueMs: number | undefined;
  /** Coordinator spawn to "round enqueued". */
  wallMs: number | undefined;
  /** Redis used_memory of the fresh server, before the coordinator started. */
  usedMemoryBefore: number | undefined;
  /** Redis used_memory once the round was enqueued. */
  usedMemoryAfter: number | undefined;
  /** Jobs in BullMQ's wait list once the round was enqueued (must be every URL). */
  waitingJobs: number | undefined;
  /** MEMORY USAGE of the round ledger's pending hash (one field per URL) and of BullMQ's capped event stream. */
  pendingHashBytes: number | undefined;
  eventStreamBytes: number | undefined;
  coordinatorCpuMs: number | undefined;
  /** redis-server's CPU time (INFO cpu) from before the coordinator started to the round enqueued. */
  redisCpuMs: number | undefined;
  coordinatorPeakRssKib: number | undefined;
  failure: string | undefined;
}

export interface EnqueueResult {
  kind: 'enqueue';
  scenario: EnqueueScenario;
  redisAof: boolean;
  runs: EnqueueRun[];
}

/**
 * URLs on a loopback port where nothing listens: no worker runs, so none
 * is ever fetched, and a stray worker would fail at once instead of
 * reaching anything.
 */
const UNFETCHED_ORIGIN = 'http://127.0.0.1:9';

/**
 * Scenario 8: a coordinator alone on a fresh Redis with a large list; the
 * time it takes to enqueue the whole round, and what the waiting jobs
 * cost Redis (used_memory before and after, per job).
 */
export async function runEnqueueScenario(scenario: EnqueueScenario, options: BenchOptions): Promise<EnqueueResult> {
  const dir = freshDir(join(options.scratchRoot, scenario.id));
  const listFile = join(dir, 'urls.txt');
  await writeFile(
    listFile,
    Array.from({ length: scenario.urls }, (_, index) => `${UNFETCHED_ORIGIN}${imagePath(index)}\n`).join(''),
  );
  const runs: EnqueueRun[] = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      const result = await runOnce(scenario, options, listFile, join(dir, `run${run}`), run);
      const mib = (bytes: number | undefined): string => (bytes === undefined ? '?' : (bytes / 1024 ** 2).toFixed(1));
      options.log(
        `[${scenario.id}] run ${run}/${options.runs}: enqueued in ${result.enqueueMs === undefined ? '?' : (result.enqueueMs / 1000).toFixed(2)} s, ` +
          `used_memory ${mib(result.usedMemoryBefore)} -> ${mib(result.usedMemoryAfter)} MiB, ${result.waitingJobs ?? '?'} waiting${result.failure ? `; FAILED: ${result.failure}` : ''}`,
      );
      runs.push(result);
    }
  } finally {
    removeDir(dir);
  }
  return { kind: 'enqueue', scenario, redisAof: options.redisAof, runs };
}

async function runOnce(
  scenario: EnqueueScenario,
  options: BenchOptions,
  listFile: string,
  runDir: string,
  run: number,
): Promise<EnqueueRun> {
  freshDir(runDir);
  const empty: EnqueueRun = {
    run,
    enqueueMs: undefined,
    wallMs: undefined,
    usedMemoryBefore: undefined,
    usedMemoryAfter: undefined,
    waitingJobs: undefined,
    pendingHashBytes: undefined,
    eventStreamBytes: undefined,
    coordinatorCpuMs: undefined,
    redisCpuMs: undefined,
    coordinatorPeakRssKib: undefined,
    failure: undefined,
  };
  try {
    return await withFleet(runDir, options.redisAof, async (fleet) => {
      const usedMemoryBefore = fleet.redis.infoNumber('memory', 'used_memory');
      const redisCpuBefore = fleet.redis.cpuMs();
      const coordinator = fleet.startCoordinator(listFile, undefined);
      let started;
      let enqueued;
      try {
        started = await coordinator.waitForLog(
          (line) => line.msg === 'round started',
          options.runTimeoutMs,
          '"round started" line',
        );
        enqueued = await coordinator.waitForLog(
          (line) => line.msg === 'round enqueued',
          options.runTimeoutMs,
          '"round enqueued" line',
        );
      } catch (error) {
        return { ...empty, usedMemoryBefore, failure: (error as Error).message };
      }
      const usedMemoryAfter = fleet.redis.infoNumber('memory', 'used_memory');
      const redisCpuAfter = fleet.redis.cpuMs();
      const usage = coordinator.usage();
      const queueKey = `${fleet.target.prefix}:${DOWNLOADS_QUEUE}`; // BullMQ's layout: prefix:queue:wait, prefix:queue:events
      const waitingJobs = Number(fleet.redis.query('LLEN', `${queueKey}:wait`));
      const memoryUsage = (key: string): number | undefined => {
        const reply = fleet.redis.query('MEMORY', 'USAGE', key, 'SAMPLES', '0');
        return /^\d+$/.test(reply) ? Number(reply) : undefined;
      };
      const failure =
        enqueued.urls !== scenario.urls
          ? `the coordinator enqueued ${String(enqueued.urls)} URLs, expected ${scenario.urls}`
          : waitingJobs !== scenario.urls
            ? `${waitingJobs} jobs waiting, expected ${scenario.urls}`
            : undefined;
      return {
        run,
        enqueueMs: Date.parse(enqueued.time) - Date.parse(started.time),
        wallMs: Date.parse(enqueued.time) - coordinator.spawnedAt,
        usedMemoryBefore,
        usedMemoryAfter,
        waitingJobs,
        pendingHashBytes: memoryUsage(`${new FleetKeys(fleet.target.prefix).round(String(started.roundId))}:pending`),
        eventStreamBytes: memoryUsage(`${queueKey}:events`),
        coordinatorCpuMs: usage?.cpuMs,
        redisCpuMs: redisCpuAfter - redisCpuBefore,
        coordinatorPeakRssKib: usage?.peakRssKib,
        failure,
      };
    });
  } catch (error) {
    // Redis that did not start: this run fails, the others still run.
    return { ...empty, failure: (error as Error).message };
  } finally {
    removeDir(runDir);
  }
}
