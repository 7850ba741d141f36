import { describeSizes } from '../harness/origin/image-set.js';
import { median } from './median.js';
import { maxOf, mibOfKib, row, seconds, trajectory } from './report-cells.js';
import type { WorkerRssResult } from './run-worker-rss-scenario.js';
import type { ScenarioReport, TargetOutcome } from './scenario-report.js';

/** The worker-rss scenario (issue 6): one worker's resident set over a round, beside fetch's. */
export const workerRssReport: ScenarioReport<WorkerRssResult> = {
  tables: (result) => workerRssTables(result),
  targets: (result) => workerRssTargets(result),
  failures: (result) =>
    result.runs
      .filter((run) => run.failure !== undefined)
      .map((run) => `${result.scenario.title}, ${run.variant} run ${run.run}: ${run.failure}`),
};

/** Scenario 11 as Markdown: every run of the worker and of fetch, then the RSS over the first run of each. */
function workerRssTables(result: WorkerRssResult): string[] {
  const { scenario } = result;
  const { origin } = scenario;
  const lines = [
    `${origin.count.toLocaleString('en')} URLs on the synthetic origin: ${describeSizes(origin.bytes, origin.spread)} (the large ones in one run of the list, from image ${origin.spread?.large?.first ?? '-'}), ${origin.latencyMs} ms before each answer. ` +
      `Each run: a fresh Redis (${result.redisAof ? 'AOF' : 'no persistence'}), one worker with \`--concurrency ${scenario.concurrency} --per-host ${scenario.concurrency} --fleet-per-host ${scenario.concurrency}\`, started and waited for, then a coordinator for one round; then \`fetch --concurrency ${scenario.concurrency} --per-host ${scenario.concurrency}\` on the same list. Every store is checked file by file. ` +
      `RSS: VmRSS read every ${scenario.rssSampleIntervalMs} ms; "baseline" is the worker's once it has said "worker started" (connected to Redis, idle), "end" its reading at the "round completed" line (fetch: its last reading before it exited); "high-water" is the worker's VmHWM after the round, or fetch's ru_maxrss (GNU time %M), which no sampling interval can miss. "peak at" is when the highest sample came, from the coordinator's (fetch's) start. "round" is the worker's round durationMs, fetch's spawn to exit.`,
    '',
    '| variant | run | round (s) | RSS MiB: baseline | peak (sampled) | peak at (s) | high-water | end | samples | CPU s | requests | max in flight | stored files |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const run of result.runs) {
    const peakSample = run.rss?.samples.reduce(
      (best, sample) => (sample.rssKib > best.rssKib ? sample : best),
      run.rss.samples[0]!,
    );
    lines.push(
      row([
        `${run.variant} (--concurrency ${scenario.concurrency})`,
        run.failure === undefined ? String(run.run) : `${run.run} (FAILED)`,
        seconds(run.roundMs),
        mibOfKib(run.baselineKib),
        mibOfKib(run.rss?.peakKib),
        peakSample === undefined ? '' : seconds(peakSample.atMs),
        mibOfKib(run.highWaterKib),
        mibOfKib(run.rss?.endKib),
        String(run.rss?.samples.length ?? ''),
        seconds(run.cpuMs),
        run.counters ? String(run.counters.requests) : '',
        run.counters ? String(run.counters.maxInFlight) : '',
        run.verification === undefined
          ? ''
          : run.verification.ok
            ? `${run.verification.verified} byte-exact`
            : `**${run.verification.verified} good**`,
      ]),
    );
  }
  for (const variant of ['worker', 'fetch'] as const) {
    const passed = result.runs.filter((run) => run.variant === variant && run.failure === undefined);
    const highest = maxOf(passed.map((run) => run.highWaterKib));
    if (highest !== undefined)
      lines.push(
        '',
        `${variant}: highest high-water over ${passed.length} passing run(s) ${mibOfKib(highest)} MiB; median round ${seconds(median(passed.map((run) => run.roundMs ?? Number.NaN)))} s.`,
      );
  }
  lines.push('', 'RSS in MiB, one reading a second, first run of each:', '');
  for (const variant of ['worker', 'fetch'] as const) {
    const first = result.runs.find((run) => run.variant === variant && run.rss !== undefined);
    if (first !== undefined) lines.push(`- ${variant}: ${trajectory(first.rss!, 1000)}`);
  }
  return lines;
}

function workerRssTargets(result: WorkerRssResult): TargetOutcome[] {
  const bound = result.scenario.maxPeakRssMib;
  const passed = result.runs.filter((run) => run.variant === 'worker' && run.failure === undefined);
  const highest = maxOf(passed.map((run) => run.highWaterKib));
  const label =
    bound === undefined
      ? 'worker RSS stays under a measured bound (none stated yet)'
      : `worker RSS stays under ${bound} MiB (VmHWM)`;
  if (highest === undefined) return [{ label, measured: 'n/a (no passing run)', met: undefined }];
  return [
    {
      label,
      measured: `highest ${mibOfKib(highest)} MiB over ${passed.length} run(s) (${passed.map((run) => mibOfKib(run.highWaterKib)).join(' / ')})`,
      met: bound === undefined ? undefined : highest / 1024 < bound,
    },
  ];
}
