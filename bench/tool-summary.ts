import type { OriginCounters } from '../harness/origin/origin-client.js';
import { median } from './median.js';
import type { ToolName } from './peers.js';
import type { DownloadResult, RunResult } from './run-download-scenario.js';

/** One tool's runs in one scenario, reduced to the figures reported. */
export interface ToolSummary {
  tool: ToolName;
  /** Median wall time of the runs that passed; undefined when none did. */
  medianMs: number | undefined;
  /** Every run's wall time in run order, undefined for a failed run. */
  runMs: (number | undefined)[];
  /** The highest peak RSS of the passing runs, in MiB. */
  peakRssMib: number | undefined;
  /** CPU time (user + system) of the median run per URL of the list, in microseconds. */
  cpuUsPerUrl: number | undefined;
  /** The origin's counters of the median run. */
  counters: OriginCounters | undefined;
  /** image-loader: entry statuses of the median run. */
  statuses: Record<string, number> | undefined;
  failed: RunResult[];
}

export function summarizeTool(result: DownloadResult, tool: ToolName): ToolSummary {
  const runs = result.runs.filter((run) => run.tool === tool);
  const passed = runs.filter((run) => run.failure === undefined);
  const medianRun = medianOf(passed);
  const rss = passed.map((run) => run.peakRssKib).filter((kib): kib is number => kib !== undefined);
  return {
    tool,
    medianMs: medianRun === undefined ? undefined : median(passed.map((run) => run.wallMs)),
    runMs: runs.map((run) => (run.failure === undefined ? run.wallMs : undefined)),
    peakRssMib: rss.length === 0 ? undefined : Math.max(...rss) / 1024,
    cpuUsPerUrl: medianRun?.cpuMs === undefined ? undefined : (medianRun.cpuMs * 1000) / result.scenario.origin.count,
    counters: medianRun?.counters,
    statuses: medianRun?.verification?.statuses,
    failed: runs.filter((run) => run.failure !== undefined),
  };
}

/** The run whose wall time is the (lower) median. */
function medianOf(runs: readonly RunResult[]): RunResult | undefined {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
