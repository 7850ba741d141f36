import type { PruneResult } from './run-prune-scenario.js';
import type { ScenarioReport } from './scenario-report.js';

/**
 * The prune scenario's part of the bench report: store size every tenth round, what pruning adds to a round against
 * the control series, and what the round's end waited for.
 */
export const pruneReport: ScenarioReport<PruneResult> = {
  tables: (result) => [
    '| round | store bytes (distinct inodes) | live bytes | round ms | prune ms | control round ms |',
    '|--:|--:|--:|--:|--:|--:|',
    ...result.samples.map(
      (sample) =>
        `| ${sample.round} | ${sample.storeBytes} | ${sample.liveBytes} | ${sample.roundMs} | ${sample.pruneMs} | ${sample.controlRoundMs} |`,
    ),
    '',
    'Control: the same rounds into a store that removes nothing (`--keep-replaced forever`), each round run beside the',
    'pruned one in alternating order, every run after a `sync`. "Pruning adds": the median over rounds 3 on of round +',
    'prune time over the same round\'s control, minus 1. "The end waits": the median of prune time / (round + prune',
    "time), the summary's `prune.durationMs`.",
  ],
  targets: (result) => [
    {
      label: `pruning adds at most ${result.scenario.maxPruneShare * 100}% to a round (against the control)`,
      measured: result.addedShare === undefined ? 'no round completed' : `${(result.addedShare * 100).toFixed(1)}%`,
      met: result.addedShare === undefined ? undefined : result.addedShare <= result.scenario.maxPruneShare,
    },
    {
      label: `the round's end waits for pruning at most ${result.scenario.maxPruneShare * 100}% of it (median)`,
      measured:
        result.medianPruneShare === undefined ? 'no round completed' : `${(result.medianPruneShare * 100).toFixed(1)}%`,
      met: result.medianPruneShare === undefined ? undefined : result.medianPruneShare <= result.scenario.maxPruneShare,
    },
  ],
  failures: (result) => (result.failure === undefined ? [] : [`${result.scenario.title}: ${result.failure}`]),
};
