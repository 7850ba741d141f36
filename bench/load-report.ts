import { LOAD_SERVER_LABELS } from './load-servers.js';
import type { WebLoadResult } from './run-web-load-scenario.js';
import type { WorkerRssResult } from './run-worker-rss-scenario.js';
import { type TargetOutcome, targetTable } from './targets.js';
import { webLoadTables, webLoadTargets } from './web-load-report.js';
import { workerRssTables, workerRssTargets } from './worker-rss-report.js';

export type LoadResult = WebLoadResult | WorkerRssResult;

/** Issue 6's scenarios as Markdown: a section each, then their targets, then any failed run. */
export function formatLoadReport(results: readonly LoadResult[], versions: { wrk: string; nginx: string }): string[] {
  const lines: string[] = [];
  const outcomes: { scenario: string; outcome: TargetOutcome }[] = [];
  for (const result of results) {
    lines.push(`### ${result.scenario.title}`, '');
    lines.push(...(result.kind === 'web-load' ? webLoadTables(result, versions) : workerRssTables(result)), '');
    for (const outcome of result.kind === 'web-load' ? webLoadTargets(result) : workerRssTargets(result))
      outcomes.push({ scenario: result.scenario.title, outcome });
  }
  lines.push(...targetTable('issue 6', outcomes, '-'));
  const failures = results.flatMap(failuresOf);
  lines.push(
    ...(failures.length === 0
      ? ['All load runs passed (no errors, every served or stored image byte-exact).']
      : ['Failed load runs:', '', ...failures.map((line) => `- ${line.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}`)]),
  );
  return lines;
}

/** Whether any run of a load scenario failed. */
export function loadResultFailed(result: LoadResult): boolean {
  return failuresOf(result).length > 0;
}

function failuresOf(result: LoadResult): string[] {
  const title = result.scenario.title;
  if (result.kind === 'web-load') {
    const runs = result.runs
      .filter((run) => run.failure !== undefined)
      .map((run) => `${title}, ${LOAD_SERVER_LABELS[run.server]}, "${run.mix}", run ${run.run}: ${run.failure}`);
    return [...(result.failure === undefined ? [] : [`${title}: ${result.failure}`]), ...runs];
  }
  return result.runs
    .filter((run) => run.failure !== undefined)
    .map((run) => `${title}, ${run.variant} run ${run.run}: ${run.failure}`);
}
