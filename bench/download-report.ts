import type { ToolName } from './peers.js';
import { row, seconds } from './report-cells.js';
import type { DownloadResult } from './run-download-scenario.js';
import type { ScenarioReport } from './scenario-report.js';
import { evaluateTargets } from './targets.js';
import { summarizeTool, type ToolSummary } from './tool-summary.js';

const MIB = 1024 ** 2;

/** A download scenario (issue 2): image-loader, curl and aria2c on one list, a row per tool. */
export const downloadReport: ScenarioReport<DownloadResult> = {
  tables: (result, { args }) => {
    const summaries = summarize(result);
    return [
      `Every tool: the same list, concurrency ${args.concurrency}; image-loader with \`--per-host ${args.perHost}\` (one origin is the only host). Origin: a separate Node process on 127.0.0.1 (harness/origin/origin-process.ts). ${args.runs} timed run(s) per tool, median shown; every first run into a fresh directory. Wall time: spawn to exit, measured by the bench (includes Node start-up for image-loader). Peak RSS: GNU time \`%M\` (ru_maxrss of the tool's process), the highest of the passing runs. CPU µs per URL: GNU time's user + system time of the median run over the list's URLs. Every file of every run is checked against its SHA-256; a run that fails is reported, not timed.`,
      '',
      '| tool | median wall (s) | runs (s) | peak RSS (MiB) | CPU µs per URL | requests | body MiB served | 304s | max in flight | vs floor | image-loader / curl | image-loader / aria2c |',
      '|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...[...summaries.values()].map((summary) => downloadRow(result, summary, summaries)),
      '',
      floorNote(result, args.concurrency),
      '"requests", "body MiB served", "304s" and "max in flight" are the origin\'s counters during the median run (control requests excluded). "max in flight" is what the origin saw at once: about the concurrency when latency > 0; at 0 ms the single-threaded origin answers each request before it reads the next, and it can read one more than the concurrency when a keep-alive request arrives before the previous response\'s completion event.',
    ];
  },
  targets: (result) => evaluateTargets(result, summarize(result)),
  failures: (result) =>
    result.runs
      .filter((run) => run.failure !== undefined)
      .map((run) => `${result.scenario.title}, ${run.tool} run ${run.run}: ${run.failure}`),
};

function summarize(result: DownloadResult): Map<ToolName, ToolSummary> {
  return new Map(result.scenario.tools.map((tool) => [tool, summarizeTool(result, tool)]));
}

function downloadRow(
  result: DownloadResult,
  summary: ToolSummary,
  summaries: ReadonlyMap<ToolName, ToolSummary>,
): string {
  const { medianMs, counters } = summary;
  const floorMs = result.latencyFloorMs ?? summaries.get('curl-floor')?.medianMs;
  const isLoader = summary.tool === 'image-loader' || summary.tool === 'image-loader-metrics';
  const ratioTo = (peer: ToolName): string => {
    const peerMs = summaries.get(peer)?.medianMs;
    return isLoader && medianMs !== undefined && peerMs !== undefined ? `${(medianMs / peerMs).toFixed(2)}x` : '';
  };
  const tool =
    result.scenario.rerun && summary.tool === 'aria2c'
      ? 'aria2c --conditional-get'
      : summary.tool === 'curl-floor'
        ? 'floor: one `curl -o` of 1000 MiB'
        : summary.tool === 'image-loader-metrics'
          ? 'image-loader `--metrics-port 0`'
          : summary.tool;
  const statuses = isLoader && summary.statuses ? ` (${describeStatuses(summary.statuses)})` : '';
  return row([
    `${tool}${statuses}`,
    medianMs === undefined ? '**failed**' : seconds(medianMs),
    summary.runMs.map((ms) => (ms === undefined ? 'FAIL' : seconds(ms))).join(' / '),
    summary.peakRssMib === undefined ? '' : summary.peakRssMib.toFixed(0),
    summary.cpuUsPerUrl === undefined || summary.tool === 'curl-floor' ? '' : summary.cpuUsPerUrl.toFixed(0),
    counters ? String(counters.requests) : '',
    counters ? (counters.bodyBytes / MIB).toFixed(1) : '',
    counters ? String(counters.notModified) : '',
    counters ? String(counters.maxInFlight) : '',
    floorMs !== undefined && medianMs !== undefined && summary.tool !== 'curl-floor'
      ? `${(medianMs / floorMs).toFixed(2)}x`
      : '',
    ratioTo('curl'),
    ratioTo('aria2c'),
  ]);
}

function describeStatuses(statuses: Record<string, number>): string {
  const parts = ['downloaded', 'unchanged', 'failed']
    .filter((status) => (statuses[status] ?? 0) > 0)
    .map((status) => `${statuses[status]} ${status}`);
  if ((statuses.fresh ?? 0) > 0) parts.push(`${statuses.fresh} not asked: fresh`);
  return parts.join(', ');
}

function floorNote(result: DownloadResult, concurrency: number): string {
  if (result.latencyFloorMs !== undefined)
    return `"vs floor": ${result.scenario.origin.count} x ${result.scenario.origin.latencyMs} ms / ${concurrency} = ${seconds(result.latencyFloorMs)} s.`;
  if (result.scenario.tools.includes('curl-floor'))
    return '"vs floor": the floor is one `curl -s -o FILE` of a single streamed file of the same total bytes from the same origin, measured in the same runs.';
  return '';
}
