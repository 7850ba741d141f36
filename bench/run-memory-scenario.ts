import { join } from 'node:path';
import type { RoundSummary } from '../core/round/round-summary.js';
import { StoreLayout } from '../core/store/store-layout.js';
import { imagePath } from '../harness/origin/image-set.js';
import type { OriginCounters } from '../harness/origin/origin-client.js';
import { removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { roundWaitCommand } from './fleet-commands.js';
import { withFleet } from './fleet-harness.js';
import { measure } from './measure.js';
import { writeListFiles } from './peers.js';
import { type KeyGroup, redisKeyBreakdown } from './redis-key-breakdown.js';
import { startScenarioOrigin } from './scenario-origin.js';
import type { MemoryScenario } from './scenarios.js';
import { type Verification, verifyImageLoaderStore } from './verify.js';

/** One round of the sequence, and Redis as the round left it. */
export interface MemoryRound {
  round: number;
  /** The round's durationMs from its "round completed" line. */
  roundMs: number;
  counts: RoundSummary['counts'];
  /** What the origin served during the round. */
  counters: OriginCounters;
  /** `round --wait`, spawn to exit (rounds after the first, which the job scheduler fires). */
  triggerWallMs: number | undefined;
  usedMemory: number;
  usedMemoryDataset: number;
  keys: number;
  /** The worker's and the coordinator's resident sets after the round (a leak in either would climb round by round). */
  workerRssKib: number | undefined;
  coordinatorRssKib: number | undefined;
}

export interface MemoryResult {
  kind: 'memory';
  scenario: MemoryScenario;
  concurrency: number;
  redisAof: boolean;
  rounds: MemoryRound[];
  /** Redis's keys by shape after the baseline round and after the last. */
  breakdowns: { round: number; groups: KeyGroup[] }[];
  /** The store checked file by file after the first round (all downloaded) and the last (all unchanged). */
  verifications: { round: number; verification: Verification }[];
  workerPeakRssKib: number | undefined;
  failure: string | undefined;
}

/**
 * Scenario 9: one worker and one coordinator run the same list round after
 * round (`round --wait` back to back after the scheduler's first); after
 * each round, Redis's used_memory. Runs once whatever --runs says: its
 * rounds are the repetitions.
 */
export async function runMemoryScenario(scenario: MemoryScenario, options: BenchOptions): Promise<MemoryResult> {
  const { dir, origin, expected } = await startScenarioOrigin(scenario.id, scenario.origin, options);
  const result: MemoryResult = {
    kind: 'memory',
    scenario,
    concurrency: options.concurrency,
    redisAof: options.redisAof,
    rounds: [],
    breakdowns: [],
    verifications: [],
    workerPeakRssKib: undefined,
    failure: undefined,
  };
  const store = join(dir, 'store');
  try {
    const urls = expected.map((_, index) => `${origin.url}${imagePath(index)}`);
    const { listFile } = await writeListFiles(urls, dir);
    await withFleet(dir, options.redisAof, async (fleet) => {
      const [worker] = await fleet.startWorkers(1, store, {
        concurrency: options.concurrency,
        perHost: options.perHost,
        fleetPerHost: options.perHost,
      });
      await origin.reset();
      const coordinator = fleet.startCoordinator(listFile, store);
      const seen = new Set<string>();
      for (let round = 1; round <= scenario.rounds; round++) {
        let triggerWallMs: number | undefined;
        if (round > 1) {
          await origin.reset();
          const trigger = await measure(roundWaitCommand(fleet.target), dir, `round-${round}`, options.runTimeoutMs);
          triggerWallMs = trigger.wallMs;
          if (trigger.exitCode !== 0) {
            result.failure = `round ${round}: \`round --wait\` exited with ${trigger.timedOut ? 'a timeout' : `code ${trigger.exitCode}`}`;
            return;
          }
        }
        const completed = await coordinator.waitForLog(
          (line) => line.msg === 'round completed' && !seen.has(String(line.roundId)),
          options.runTimeoutMs,
          `"round completed" line of round ${round}`,
        );
        seen.add(String(completed.roundId));
        const memory = fleet.redis.info('memory');
        const entry: MemoryRound = {
          round,
          roundMs: Number(completed.durationMs),
          counts: completed.counts as RoundSummary['counts'],
          counters: await origin.counters(),
          triggerWallMs,
          usedMemory: Number(memory.used_memory),
          usedMemoryDataset: Number(memory.used_memory_dataset),
          keys: Number(fleet.redis.query('DBSIZE')),
          workerRssKib: worker?.usage()?.rssKib,
          coordinatorRssKib: coordinator.usage()?.rssKib,
        };
        result.rounds.push(entry);
        options.log(
          `[${scenario.id}] round ${round}/${scenario.rounds}: ${(entry.roundMs / 1000).toFixed(2)} s, ${entry.counts.downloaded} downloaded, ${entry.counts.unchanged} unchanged, ${entry.counts.failed} failed; ` +
            `used_memory ${(entry.usedMemory / 1024 ** 2).toFixed(2)} MiB, ${entry.keys} keys`,
        );
        if (round === scenario.baselineRound || round === scenario.rounds)
          result.breakdowns.push({ round, groups: redisKeyBreakdown(fleet.redis) });
        if (round === 1 || round === scenario.rounds) {
          const verification = await verifyImageLoaderStore(
            store,
            new StoreLayout(store).lastRoundFile,
            urls,
            expected,
          );
          result.verifications.push({ round, verification });
          if (!verification.ok)
            options.log(`[${scenario.id}] round ${round}: verification FAILED: ${verification.problems.join('; ')}`);
        }
      }
      result.workerPeakRssKib = worker?.usage()?.peakRssKib;
    });
  } catch (error) {
    result.failure = (error as Error).message;
  } finally {
    await origin.close();
    removeDir(dir);
  }
  const bad = result.verifications.find(({ verification }) => !verification.ok);
  if (result.failure === undefined && bad !== undefined)
    result.failure = `round ${bad.round}: verification failed (${bad.verification.verified} good): ${bad.verification.problems.join('; ')}`;
  return result;
}
