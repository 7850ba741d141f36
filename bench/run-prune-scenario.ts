import { spawnSync } from 'node:child_process';
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
  /** Target: what pruning adds to a round against the control, at most (0.05: 5%). */
  maxPruneShare: number;
}

export interface PruneRoundSample {
  round: number;
  /** Every file under the store, once per inode. */
  storeBytes: number;
  liveBytes: number;
  roundMs: number;
  pruneMs: number;
  /** The control's round: the same change into a store that removes nothing (`--keep-replaced forever`). */
  controlRoundMs: number;
}

export interface PruneResult {
  kind: 'prune';
  scenario: PruneScenario;
  samples: PruneRoundSample[];
  /** Median over every round of prune time / (round time + prune time): what the round's end waited for. */
  medianPruneShare: number | undefined;
  /**
   * What pruning adds to a round, all of it: the median over rounds 3 on of (round + prune time) over the same
   * round's control, minus 1. Removals that overlap the downloads show here, not in the prune time.
   */
  addedShare: number | undefined;
  failure: string | undefined;
}

/** Rounds 1 and 2 are left out of addedShare: round 1 removes nothing, round 2 what round 1 wrote without a replace. */
const SETTLED_FROM_ROUND = 3;

/**
 * Runs the rounds against an origin in this process that serves generation N of every image in round N. Each round
 * is two `fetch` processes, in alternating order and each after a `sync`: one into the pruned store (--keep-replaced
 * 0), one into a control store that removes nothing (--keep-replaced forever), so what pruning adds is measured
 * against the same work done at the same moment, not only by the prune time the summary reports. The control's
 * store grows by every version (1 GB over 50 rounds); its rounds do not walk it.
 */
export async function runPruneScenario(
  scenario: PruneScenario,
  options: Pick<BenchOptions, 'concurrency' | 'runTimeoutMs' | 'scratchRoot' | 'log'>,
): Promise<PruneResult> {
  const origin = await startImageOrigin();
  const dir = await mkdtemp(join(options.scratchRoot, 'prune-'));
  const samples: PruneRoundSample[] = [];
  const shares: number[] = [];
  const added: number[] = [];
  let generation = 0;
  origin.fallback((path) => {
    const match = /^\/prune\/(\d+)\.jpg$/.exec(path);
    if (!match) return undefined;
    return { kind: 'image', body: makeJpegLike(scenario.imageBytes, `${match[1]} ${generation}`) };
  });
  const list = join(dir, 'list.txt');
  const store = join(dir, 'store');
  await writeFile(list, Array.from({ length: scenario.urls }, (_, i) => `${origin.url}/prune/${i}.jpg\n`).join(''));
  const fetchRound = async (into: string, keepReplaced: string): Promise<RoundSummary> => {
    // Each run starts with the previous one's writes and frees on disk: none of its deferred work lands in this one.
    spawnSync('sync');
    const args = ['fetch', list, '--store', into, '--allow-private', '--json', '--keep-replaced', keepReplaced];
    const result = await runCli([...args, '--concurrency', String(options.concurrency)], {
      timeoutMs: options.runTimeoutMs,
    });
    if (result.code !== 0) throw new Error(`fetch exited ${result.code}: ${result.stderr.slice(-500)}`);
    return JSON.parse(result.stdout) as RoundSummary;
  };
  let failure: string | undefined;
  try {
    for (let round = 1; round <= scenario.rounds; round++) {
      generation = round;
      let summary: RoundSummary;
      let controlSummary: RoundSummary;
      try {
        const controlFirst = round % 2 === 0;
        if (controlFirst) controlSummary = await fetchRound(join(dir, 'control'), 'forever');
        summary = await fetchRound(store, '0');
        if (!controlFirst) controlSummary = await fetchRound(join(dir, 'control'), 'forever');
      } catch (error) {
        failure = `round ${round}: ${(error as Error).message}`;
        break;
      }
      const pruneMs = summary.prune?.durationMs ?? 0;
      shares.push(pruneMs / (summary.durationMs + pruneMs));
      if (round >= SETTLED_FROM_ROUND) added.push((summary.durationMs + pruneMs) / controlSummary!.durationMs - 1);
      if (round % scenario.reportEvery === 0 || round === 1) {
        const disk = await distinctInodeBytes(store);
        samples.push({
          round,
          storeBytes: disk.bytes,
          liveBytes: summary.store?.liveBytes ?? 0,
          roundMs: summary.durationMs,
          pruneMs,
          controlRoundMs: controlSummary!.durationMs,
        });
        options.log(
          `prune: round ${round}: store ${disk.bytes} bytes, prune ${pruneMs} ms of ${summary.durationMs} ms; control round ${controlSummary!.durationMs} ms`,
        );
      }
    }
  } finally {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  }
  const medianPruneShare = shares.length === 0 ? undefined : median(shares);
  const addedShare = added.length === 0 ? undefined : median(added);
  return { kind: 'prune', scenario, samples, medianPruneShare, addedShare, failure };
}
