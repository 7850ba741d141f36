import type { ToolName } from './peers.js';
import type { DownloadResult } from './run-download-scenario.js';
import type { TargetOutcome } from './scenario-report.js';
import type { Target } from './scenarios.js';
import type { ToolSummary } from './tool-summary.js';

export function evaluateTargets(
  result: DownloadResult,
  summaries: ReadonlyMap<ToolName, ToolSummary>,
): TargetOutcome[] {
  const loader = summaries.get('image-loader');
  return result.scenario.targets.map((target) => evaluate(target, result, loader, summaries));
}

function evaluate(
  target: Target,
  result: DownloadResult,
  loader: ToolSummary | undefined,
  summaries: ReadonlyMap<ToolName, ToolSummary>,
): TargetOutcome {
  const wall = loader?.medianMs;
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const outcome = (value: number | undefined, measured: (value: number) => string): TargetOutcome =>
    value === undefined
      ? { label: target.label, measured: 'n/a (no passing run)', met: undefined }
      : { label: target.label, measured: measured(value), met: value <= target.max };
  switch (target.metric) {
    case 'wall-vs-floor': {
      const floor = result.latencyFloorMs;
      return outcome(
        wall === undefined || floor === undefined ? undefined : wall / floor,
        (ratio) => `${seconds(wall!)} = ${ratio.toFixed(2)}x the floor`,
      );
    }
    case 'wall-vs-tool': {
      const peer = summaries.get(target.tool)?.medianMs;
      return outcome(
        wall === undefined || peer === undefined ? undefined : wall / peer,
        (ratio) => `${seconds(wall!)} vs ${seconds(peer!)} = ${ratio.toFixed(2)}x ${target.tool}`,
      );
    }
    case 'variant-vs-variant': {
      const variant = summaries.get(target.tool)?.medianMs;
      const baseline = summaries.get(target.baseline)?.medianMs;
      return outcome(
        variant === undefined || baseline === undefined ? undefined : variant / baseline,
        (ratio) =>
          `${seconds(variant!)} vs ${seconds(baseline!)} = ${ratio.toFixed(3)}x (${((ratio - 1) * 100).toFixed(1)}%)`,
      );
    }
    case 'peak-rss-mib':
      return outcome(loader?.peakRssMib, (mib) => `${mib.toFixed(0)} MiB`);
    case 'origin-body-bytes':
      return outcome(loader?.counters?.bodyBytes, (bytes) => `${bytes} B (${loader!.counters!.notModified} x 304)`);
    case 'origin-requests':
      return outcome(loader?.counters?.requests, (requests) => `${requests} requests`);
    case 'wall-s':
      return outcome(wall === undefined ? undefined : wall / 1000, (value) => `${value.toFixed(2)} s`);
  }
}
