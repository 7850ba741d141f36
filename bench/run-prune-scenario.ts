import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RoundSummary } from '../core/round/round-summary.js';
import { runCli } from '../harness/cli-process.js';
import { startImageOrigin } from '../harness/origin/image-origin.js';
import { makeJpegLike } from '../harness/origin/sample-images.js';
import { distinctInodeBytes } from '../harness/store-usage.js';
import type { BenchOptions } from './bench-options.js';
import { median } from './median.js';

/** Issue 12: a list whose images all change every round, `fetch --keep-replaced 0` round after round. */
export interface PruneScenario {
  kind: 'prune';
  id: 'prune';
  title: string;
  urls: number;
  imageBytes: number;
  rounds: number;
  /** Store bytes are reported after every this many rounds. */
  reportEvery: number;
  /** Target: pruning's share of a round, at most (0.05: 5%). */
  maxPruneShare: number;
}

export interface PruneRoundSample {
  round: number;
  /** Every file under the store, once per inode. */
  storeBytes: number;
  liveBytes: number;
  roundMs: number;
  pruneMs: number;
}

export interface PruneResult {
  kind: 'prune';
  scenario: PruneScenario;
  samples: PruneRoundSample[];
  /** Median over every round of prune time / (round time + prune time). */
  medianPruneShare: number | undefined;
  failure: string | undefined;
}

/**
 * Runs the rounds against an origin in this process that serves generation N of every image in round N, each
 * round a `fetch` process with --keep-replaced 0, and reads each summary's round and prune times.
 */
export async function runPruneScenario(
  scenario: PruneScenario,
  options: Pick<BenchOptions, 'concurrency' | 'runTimeoutMs' | 'scratchRoot' | 'log'>,
): Promise<PruneResult> {
  const origin = await startImageOrigin();
  const dir = await mkdtemp(join(options.scratchRoot, 'prune-'));
  const samples: PruneRoundSample[] = [];
  const shares: number[] = [];
  let generation = 0;
  origin.fallback((path) => {
    const match = /^\/prune\/(\d+)\.jpg$/.exec(path);
    if (!match) return undefined;
    return { kind: 'image', body: makeJpegLike(scenario.imageBytes, `${match[1]} ${generation}`) };
  });
  const list = join(dir, 'list.txt');
  const store = join(dir, 'store');
  await writeFile(list, Array.from({ length: scenario.urls }, (_, i) => `${origin.url}/prune/${i}.jpg\n`).join(''));
  let failure: string | undefined;
  try {
    for (let round = 1; round <= scenario.rounds; round++) {
      generation = round;
      const args = ['fetch', list, '--store', store, '--allow-private', '--json', '--keep-replaced', '0'];
      const result = await runCli([...args, '--concurrency', String(options.concurrency)], {
        timeoutMs: options.runTimeoutMs,
      });
      if (result.code !== 0) {
        failure = `round ${round}: fetch exited ${result.code}: ${result.stderr.slice(-500)}`;
        break;
      }
      const summary = JSON.parse(result.stdout) as RoundSummary;
      const pruneMs = summary.prune?.durationMs ?? 0;
      shares.push(pruneMs / (summary.durationMs + pruneMs));
      if (round % scenario.reportEvery === 0 || round === 1) {
        const disk = await distinctInodeBytes(store);
        samples.push({
          round,
          storeBytes: disk.bytes,
          liveBytes: summary.store?.liveBytes ?? 0,
          roundMs: summary.durationMs,
          pruneMs,
        });
        options.log(
          `prune: round ${round}: store ${disk.bytes} bytes, prune ${pruneMs} ms of ${summary.durationMs} ms`,
        );
      }
    }
  } finally {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  }
  const medianPruneShare = shares.length === 0 ? undefined : median(shares);
  return { kind: 'prune', scenario, samples, medianPruneShare, failure };
}
