import type { BenchArgs } from './bench-args.js';
import { downloadReport } from './download-report.js';
import type { Environment } from './environment.js';
import { enqueueReport, fleetReport, memoryReport } from './fleet-report.js';
import { parseReport } from './parse-report.js';
import { pruneReport } from './prune-report.js';
import type { DownloadResult } from './run-download-scenario.js';
import type { EnqueueResult } from './run-enqueue-scenario.js';
import type { FleetResult } from './run-fleet-scenario.js';
import type { MemoryResult } from './run-memory-scenario.js';
import type { ParseResult } from './run-parse-scenario.js';
import type { PruneResult } from './run-prune-scenario.js';
import type { WebLoadResult } from './run-web-load-scenario.js';
import type { WorkerRssResult } from './run-worker-rss-scenario.js';
import type { ReportContext, ScenarioReport, TargetOutcome } from './scenario-report.js';
import { webLoadReport } from './web-load-report.js';
import { workerRssReport } from './worker-rss-report.js';

export type ScenarioResult =
  | DownloadResult
  | ParseResult
  | FleetResult
  | EnqueueResult
  | MemoryResult
  | WebLoadResult
  | WorkerRssResult
  | PruneResult;

type Reports = { [Kind in ScenarioResult['kind']]: ScenarioReport<Extract<ScenarioResult, { kind: Kind }>> };

const REPORTS: Reports = {
  download: downloadReport,
  parse: parseReport,
  fleet: fleetReport,
  enqueue: enqueueReport,
  memory: memoryReport,
  'web-load': webLoadReport,
  'worker-rss': workerRssReport,
  prune: pruneReport,
};

function reportOf(result: ScenarioResult): ScenarioReport<ScenarioResult> {
  return REPORTS[result.kind] as ScenarioReport<ScenarioResult>;
}

/**
 * The whole run as Markdown, the one printer of every scenario: the machine,
 * then a section per scenario (its own tables), then every target in one
 * table, then every failed run.
 */
export function formatReport(results: readonly ScenarioResult[], args: BenchArgs, environment: Environment): string {
  const context: ReportContext = { environment, args };
  const lines: string[] = [
    `## Benchmark, ${environment.date.slice(0, 10)}`,
    '',
    `- Machine: \`nproc\` = ${environment.nproc}, ${environment.cpu}, ${environment.memoryGib.toFixed(0)} GiB RAM, Linux ${environment.kernel}; stores and output directories in ${environment.tmpdir} (${environment.tmpdirFilesystem}).`,
    `- Node ${environment.node}, ${environment.curl}, ${environment.aria2c}, ${environment.redis}; image-loader at commit \`${environment.commit}\` (-dirty when the work tree had uncommitted changes); 1-minute load average at start ${environment.loadAverage.toFixed(2)}${environment.loadAverageAtEnd === undefined ? '' : `, at end ${environment.loadAverageAtEnd.toFixed(2)}`}.`,
    `- Command: \`npm run bench -- ${args.argv.join(' ')}\``,
    '',
  ];
  const outcomes: { scenario: string; outcome: TargetOutcome }[] = [];
  for (const result of results) {
    const report = reportOf(result);
    lines.push(`### ${result.scenario.title}`, '', ...report.tables(result, context), '');
    for (const outcome of report.targets(result)) outcomes.push({ scenario: result.scenario.title, outcome });
  }
  if (outcomes.length > 0)
    lines.push(
      '| scenario | target | measured | met |',
      '|---|---|---|:-:|',
      ...outcomes.map(
        ({ scenario, outcome }) =>
          `| ${scenario} | ${outcome.label} | ${outcome.measured} | ${outcome.met === undefined ? '-' : outcome.met ? 'yes' : '**no**'} |`,
      ),
      '',
    );
  const failures = results.flatMap((result) => reportOf(result).failures(result));
  lines.push(
    ...(failures.length === 0
      ? ['All runs passed verification.']
      : [
          'Failed runs (not timed):',
          '',
          ...failures.map((line) => `- ${line.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}`),
        ]),
  );
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Whether any run of any scenario failed (the bench then exits 1). */
export function anyRunFailed(results: readonly ScenarioResult[]): boolean {
  return results.some((result) => reportOf(result).failures(result).length > 0);
}
