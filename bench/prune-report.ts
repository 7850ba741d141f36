import type { PruneResult } from './run-prune-scenario.js';
import type { ScenarioReport } from './scenario-report.js';

/** The prune scenario's part of the bench report: store size every tenth round, and pruning's share of a round. */
export const pruneReport: ScenarioReport<PruneResult> = {
  tables: (result) => [
    '| round | store bytes (distinct inodes) | live bytes | round ms | prune ms |',
    '|--:|--:|--:|--:|--:|',
    ...result.samples.map(
      (sample) =>
        `| ${sample.round} | ${sample.storeBytes} | ${sample.liveBytes} | ${sample.roundMs} | ${sample.pruneMs} |`,
    ),
  ],
  targets: (result) => [
    {
      label: `pruning at most ${result.scenario.maxPruneShare * 100}% of a round (median)`,
      measured:
        result.medianPruneShare === undefined ? 'no round completed' : `${(result.medianPruneShare * 100).toFixed(1)}%`,
      met: result.medianPruneShare === undefined ? undefined : result.medianPruneShare <= result.scenario.maxPruneShare,
    },
  ],
  failures: (result) => (result.failure === undefined ? [] : [`${result.scenario.title}: ${result.failure}`]),
};
