import type { BenchArgs } from './bench-args.js';
import type { Environment } from './environment.js';
import { type FleetModeResult, fleetResultFailed, formatFleetReport } from './fleet-report.js';
import { formatLoadReport, type LoadResult, loadResultFailed } from './load-report.js';
import type { ToolName } from './peers.js';
import type { DownloadResult } from './run-download-scenario.js';
import type { ParseResult } from './run-parse-scenario.js';
import { formatPruneReport, type PruneResult } from './run-prune-scenario.js';
import { evaluateTargets, type TargetOutcome } from './targets.js';
import { median, summarizeTool, type ToolSummary } from './tool-summary.js';

export type ScenarioResult = DownloadResult | ParseResult | FleetModeResult | LoadResult | PruneResult;

const MIB = 1024 ** 2;

/** The whole run as Markdown, ready to paste into bench/RESULTS.md. */
export function formatReport(results: readonly ScenarioResult[], args: BenchArgs, environment: Environment): string {
  const downloads = results.filter((result): result is DownloadResult => result.kind === 'download');
  const parses = results.filter((result): result is ParseResult => result.kind === 'parse');
  const fleets = results.filter(
    (result): result is FleetModeResult =>
      result.kind === 'fleet' || result.kind === 'enqueue' || result.kind === 'memory',
  );
  const loads = results.filter(
    (result): result is LoadResult => result.kind === 'web-load' || result.kind === 'worker-rss',
  );
  const lines: string[] = [
    `## Benchmark, ${environment.date.slice(0, 10)}`,
    '',
    `- Machine: \`nproc\` = ${environment.nproc}, ${environment.cpu}, ${environment.memoryGib.toFixed(0)} GiB RAM, Linux ${environment.kernel}; stores and output directories in ${environment.tmpdir} (${environment.tmpdirFilesystem}).`,
    `- Node ${environment.node}, ${environment.curl}, ${environment.aria2c}; image-loader at commit \`${environment.commit}\` (-dirty when the work tree had uncommitted changes); 1-minute load average at start ${environment.loadAverage.toFixed(2)}${environment.loadAverageAtEnd === undefined ? '' : `, at end ${environment.loadAverageAtEnd.toFixed(2)}`}.`,
    `- Every tool: the same list, concurrency ${args.concurrency}; image-loader with \`--per-host ${args.perHost}\` (one origin is the only host). Origin: a separate Node process on 127.0.0.1 (bench/origin-process.ts).`,
    `- ${args.runs} timed run(s) per tool per scenario, median shown; every first run into a fresh directory. Wall time: spawn to exit, measured by the bench (includes Node start-up for image-loader). Peak RSS: GNU time \`%M\` (ru_maxrss of the tool's process), the highest of the passing runs. Every file of every run is checked against its SHA-256; a run that fails is reported, not timed.`,
    '',
  ];
  const outcomes: { scenario: string; outcome: TargetOutcome }[] = [];
  if (downloads.length > 0) {
    lines.push(
      '| scenario | tool | median wall (s) | runs (s) | peak RSS (MiB) | requests | body MiB served | 304s | max in flight | vs floor | image-loader / curl | image-loader / aria2c |',
      '|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const result of downloads) {
      const summaries = new Map<ToolName, ToolSummary>(
        result.scenario.tools.map((tool) => [tool, summarizeTool(result, tool)]),
      );
      for (const summary of summaries.values()) lines.push(downloadRow(result, summary, summaries));
      for (const outcome of evaluateTargets(result, summaries))
        outcomes.push({ scenario: result.scenario.title, outcome });
    }
    lines.push(
      '',
      floorNotes(downloads, args),
      '"requests", "body MiB served", "304s" and "max in flight" are the origin\'s counters during the median run (control requests excluded). "max in flight" is what the origin saw at once: about the concurrency when latency > 0; at 0 ms the single-threaded origin answers each request before it reads the next, and it can read one more than the concurrency when a keep-alive request arrives before the previous response\'s completion event.',
      '',
    );
  }
  if (parses.length > 0) lines.push(...parseTable(parses), '');
  if (outcomes.length > 0) {
    lines.push('| scenario | target (issue 2) | image-loader measured | met |', '|---|---|---|:-:|');
    for (const { scenario, outcome } of outcomes)
      lines.push(
        `| ${scenario} | ${outcome.label} | ${outcome.measured} | ${outcome.met === undefined ? '?' : outcome.met ? 'yes' : '**no**'} |`,
      );
    lines.push('');
  }
  if (downloads.length > 0 || parses.length > 0) lines.push(...failureNotes(downloads, parses));
  if (fleets.length > 0) lines.push('', ...formatFleetReport(fleets, environment.redis));
  if (loads.length > 0) lines.push('', ...formatLoadReport(loads, environment));
  const prunes = results.filter((result): result is PruneResult => result.kind === 'prune');
  if (prunes.length > 0) lines.push('', ...formatPruneReport(prunes));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Whether any run of any scenario failed (the bench then exits 1). */
export function anyRunFailed(results: readonly ScenarioResult[]): boolean {
  return results.some((result) => {
    switch (result.kind) {
      case 'download':
        return result.runs.some((run) => run.failure);
      case 'parse':
        return result.lists.some((list) => list.runs.some((run) => run.failure));
      case 'web-load':
      case 'worker-rss':
        return loadResultFailed(result);
      case 'prune':
        return result.failure !== undefined;
      default:
        return fleetResultFailed(result);
    }
  });
}

function downloadRow(
  result: DownloadResult,
  summary: ToolSummary,
  summaries: ReadonlyMap<ToolName, ToolSummary>,
): string {
  const { medianMs, counters } = summary;
  const floorMs = result.latencyFloorMs ?? summaries.get('curl-floor')?.medianMs;
  const isLoader = summary.tool === 'image-loader';
  const ratioTo = (peer: ToolName): string => {
    const peerMs = summaries.get(peer)?.medianMs;
    return isLoader && medianMs !== undefined && peerMs !== undefined ? `${(medianMs / peerMs).toFixed(2)}x` : '';
  };
  const tool =
    result.scenario.rerun && summary.tool === 'aria2c'
      ? 'aria2c --conditional-get'
      : summary.tool === 'curl-floor'
        ? 'floor: one `curl -o` of 1000 MiB'
        : summary.tool;
  const statuses = isLoader && summary.statuses ? ` (${describeStatuses(summary.statuses)})` : '';
  return [
    result.scenario.title,
    `${tool}${statuses}`,
    medianMs === undefined ? '**failed**' : seconds(medianMs),
    summary.runMs.map((ms) => (ms === undefined ? 'FAIL' : seconds(ms))).join(' / '),
    summary.peakRssMib === undefined ? '' : summary.peakRssMib.toFixed(0),
    counters ? String(counters.requests) : '',
    counters ? (counters.bodyBytes / MIB).toFixed(1) : '',
    counters ? String(counters.notModified) : '',
    counters ? String(counters.maxInFlight) : '',
    floorMs !== undefined && medianMs !== undefined && summary.tool !== 'curl-floor'
      ? `${(medianMs / floorMs).toFixed(2)}x`
      : '',
    ratioTo('curl'),
    ratioTo('aria2c'),
  ]
    .join(' | ')
    .replace(/^/, '| ')
    .concat(' |');
}

function describeStatuses(statuses: Record<string, number>): string {
  const parts = ['downloaded', 'unchanged', 'failed']
    .filter((status) => (statuses[status] ?? 0) > 0)
    .map((status) => `${statuses[status]} ${status}`);
  if ((statuses.fresh ?? 0) > 0) parts.push(`${statuses.fresh} not asked: fresh`);
  return parts.join(', ');
}

function floorNotes(downloads: readonly DownloadResult[], args: BenchArgs): string {
  const notes = downloads
    .filter((result) => result.latencyFloorMs !== undefined)
    .map(
      (result) =>
        `${result.scenario.title}: ${result.scenario.origin.count} x ${result.scenario.origin.latencyMs} ms / ${args.concurrency} = ${seconds(result.latencyFloorMs!)} s`,
    );
  const hasCurlFloor = downloads.some((result) => result.scenario.tools.includes('curl-floor'));
  if (hasCurlFloor)
    notes.push(
      'scenario 2: the floor is one `curl -s -o FILE` of a single streamed file of the same total bytes from the same origin, measured in the same runs',
    );
  return notes.length === 0 ? '' : `"vs floor": ${notes.join('; ')}.`;
}

function parseTable(parses: readonly ParseResult[]): string[] {
  const lines = [
    `${parses[0]!.scenario.title}: \`bench/parse-million.ts\` runs readUrlList (split, validate, deduplicate) over a generated list, under GNU time.`,
    '',
    '| list | lines | distinct URLs | file MiB | median parse time (s) | median wall (s) | peak RSS (MiB) |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const parse of parses) {
    for (const list of parse.lists) {
      const passed = list.runs.filter((run) => run.failure === undefined);
      const rss = passed.map((run) => run.peakRssKib).filter((kib): kib is number => kib !== undefined);
      const parseMs = passed.map((run) => run.parseMs).filter((ms): ms is number => ms !== undefined);
      lines.push(
        `| ${list.shape.name} | ${list.shape.lines.toLocaleString('en')} | ${list.shape.distinct.toLocaleString('en')} | ${(list.fileBytes / MIB).toFixed(1)} | ${
          parseMs.length === 0 ? '**failed**' : seconds(median(parseMs))
        } | ${passed.length === 0 ? '**failed**' : seconds(median(passed.map((run) => run.wallMs)))} | ${rss.length === 0 ? '' : (Math.max(...rss) / 1024).toFixed(0)} |`,
      );
    }
  }
  return lines;
}

function failureNotes(downloads: readonly DownloadResult[], parses: readonly ParseResult[]): string[] {
  const failures = [
    ...downloads.flatMap((result) =>
      result.runs
        .filter((run) => run.failure !== undefined)
        .map((run) => `- ${result.scenario.title}, ${run.tool} run ${run.run}: ${run.failure}`),
    ),
    ...parses.flatMap((parse) =>
      parse.lists.flatMap((list) =>
        list.runs
          .filter((run) => run.failure !== undefined)
          .map((run) => `- ${parse.scenario.title}, ${list.shape.name} run ${run.run}: ${run.failure}`),
      ),
    ),
  ];
  return failures.length === 0
    ? ['All runs passed verification.']
    : ['Failed runs (not timed):', '', ...failures.map((line) => line.replace(/\s+/g, ' ').replace(/\|/g, '\\|'))];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}
