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
      `Every tool: the same list, concurrency ${args.concurrency}; image-loader with \`--per-host ${args.perHost}\` (one origin is the only host). Origin: a separate Node process on 127.0.0.1 (harness/origin/origin-process.ts). ${args.runs} timed run(s) per tool, median shown; every first run into a fresh directory. Wall time: spawn to exit, measured by the bench (includes Node start-up for image-loader). Peak RSS: GNU time \`%M\` (ru_maxrss of the tool's process), the highest of the passing runs. CPU µs per URL: GNU time's user + system time of the median run over the list's URLs. Every file of every run is checked against its SHA-256; a run that fails is reported, not timed. Before the first run, the bench GETs every file once from its own process (untimed): a new origin serves its first pass slower.`,
      '',
      '| tool | median wall (s) | runs (s) | peak RSS (MiB) | CPU µs per URL | requests | body MiB served | 304s | max in flight | vs floor | / curl | / aria2c | / undici floor |',
      '|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...[...summaries.values()].map((summary) => downloadRow(result, summary, summaries)),
      '',
      floorNote(result, args.concurrency),
      ...undiciNote(result),
      '"/ curl", "/ aria2c", "/ undici floor": the row\'s median wall time over that tool\'s, for image-loader and the undici rows.',
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
  const isUndici = summary.tool === 'undici-floor' || summary.tool === 'undici-discard';
  const ratioTo = (peer: ToolName): string => {
    const peerMs = summaries.get(peer)?.medianMs;
    return (isLoader || (isUndici && peer !== summary.tool)) && medianMs !== undefined && peerMs !== undefined
      ? `${(medianMs / peerMs).toFixed(2)}x`
      : '';
  };
  const statuses = isLoader && summary.statuses ? ` (${describeStatuses(summary.statuses)})` : '';
  return row([
    `${toolLabel(result, summary.tool)}${statuses}`,
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
    ratioTo('undici-floor'),
  ]);
}

function toolLabel(result: DownloadResult, tool: ToolName): string {
  if (result.scenario.rerun && tool === 'aria2c') return 'aria2c --conditional-get';
  switch (tool) {
    case 'curl-floor':
      return 'floor: one `curl -o` of 1000 MiB';
    case 'image-loader-metrics':
      return 'image-loader `--metrics-port 0`';
    case 'undici-floor':
      return 'undici floor: `stream()` to temp + rename';
    case 'undici-discard':
      return 'undici, bodies discarded';
    default:
      return tool;
  }
}

function describeStatuses(statuses: Record<string, number>): string {
  const parts = ['downloaded', 'unchanged', 'failed']
    .filter((status) => (statuses[status] ?? 0) > 0)
    .map((status) => `${statuses[status]} ${status}`);
  if ((statuses.fresh ?? 0) > 0) parts.push(`${statuses.fresh} not asked: fresh`);
  return parts.join(', ');
}

function undiciNote(result: DownloadResult): string[] {
  const tools = result.scenario.tools;
  if (!tools.includes('undici-floor') && !tools.includes('undici-discard')) return [];
  return [
    '"undici floor": bench/undici-floor.ts in its own Node process, spawn to exit like image-loader: undici 7\'s `stream()` through one Agent with image-loader\'s connections and parser tier, each body into a temp file, closed, renamed; no hash, sniffing, metadata, store layout or address checks. "undici, bodies discarded": the same requests, each body counted and dropped (Node and the client alone).',
  ];
}

function floorNote(result: DownloadResult, concurrency: number): string {
  if (result.latencyFloorMs !== undefined)
    return `"vs floor": ${result.scenario.origin.count} x ${result.scenario.origin.latencyMs} ms / ${concurrency} = ${seconds(result.latencyFloorMs)} s.`;
  if (result.scenario.tools.includes('curl-floor'))
    return '"vs floor": the floor is one `curl -s -o FILE` of a single streamed file of the same total bytes from the same origin, measured in the same runs.';
  return '';
}
