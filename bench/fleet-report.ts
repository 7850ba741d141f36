import { median } from './median.js';
import { row, seconds } from './report-cells.js';
import type { EnqueueResult, EnqueueRun } from './run-enqueue-scenario.js';
import { type FleetResult, type FleetRunResult, type FleetVariant, variantLabel } from './run-fleet-scenario.js';
import type { MemoryResult } from './run-memory-scenario.js';
import type { ScenarioReport, TargetOutcome } from './scenario-report.js';

const MIB = 1024 ** 2;

/** The fleet scenario (issue 3): fleet rounds of several shapes against fetch on the same list. */
export const fleetReport: ScenarioReport<FleetResult> = {
  tables: (result, { environment }) => [redisLine(result.redisAof, environment.redis), '', ...fleetTables(result)],
  targets: (result) => fleetTargets(result),
  failures: (result) =>
    result.runs
      .filter((run) => run.failure !== undefined)
      .map((run) => `${result.scenario.title}, ${variantLabel(run.variant)} run ${run.run}: ${run.failure}`),
};

/** The enqueue scenario (issue 3): how fast a coordinator fills the queue, and what a waiting job costs Redis. */
export const enqueueReport: ScenarioReport<EnqueueResult> = {
  tables: (result, { environment }) => [redisLine(result.redisAof, environment.redis), '', ...enqueueTable(result)],
  targets: (result) => enqueueTargets(result),
  failures: (result) =>
    result.runs
      .filter((run) => run.failure !== undefined)
      .map((run) => `${result.scenario.title}, run ${run.run}: ${run.failure}`),
};

/** The memory scenario (issue 3): Redis's used_memory over many rounds. */
export const memoryReport: ScenarioReport<MemoryResult> = {
  tables: (result, { environment }) => [redisLine(result.redisAof, environment.redis), '', ...memoryTables(result)],
  targets: (result) => memoryTargets(result),
  failures: (result) => (result.failure === undefined ? [] : [`${result.scenario.title}: ${result.failure}`]),
};

function redisLine(aof: boolean, redisVersion: string): string {
  const persistence = aof
    ? 'AOF on (`appendonly yes`, `appendfsync everysec`: the configuration fleet mode ships with)'
    : "no persistence (`--save '' --appendonly no`; fleet mode ships with AOF)";
  return `${redisVersion} on 127.0.0.1, a fresh server for every run, ${persistence}.`;
}

interface VariantSummary {
  variant: FleetVariant;
  runs: FleetRunResult[];
  passed: FleetRunResult[];
  /** The round time for a fleet (durationMs), the wall time for fetch: what the target compares. */
  timedMs: number | undefined;
  wallMs: number | undefined;
  /** The run whose timed figure is the (lower) median: its other figures are shown. */
  medianRun: FleetRunResult | undefined;
}

function summarize(result: FleetResult): VariantSummary[] {
  return result.variants.map((variant) => {
    const runs = result.runs.filter((run) => variantLabel(run.variant) === variantLabel(variant));
    const passed = runs.filter((run) => run.failure === undefined);
    const timed = (run: FleetRunResult): number => run.roundMs ?? run.wallMs;
    const sorted = [...passed].sort((a, b) => timed(a) - timed(b));
    return {
      variant,
      runs,
      passed,
      timedMs: passed.length === 0 ? undefined : median(passed.map(timed)),
      wallMs: passed.length === 0 ? undefined : median(passed.map((run) => run.wallMs)),
      medianRun: sorted[Math.floor((sorted.length - 1) / 2)],
    };
  });
}

function fleetTables(result: FleetResult): string[] {
  const summaries = summarize(result);
  const fetchMs = summaries.find((summary) => summary.variant.kind === 'fetch')?.timedMs;
  const lines = [
    `Each run: \`fetch --concurrency ${result.concurrency} --per-host ${result.concurrency}\`, then a fleet round per variant (workers started first and waited for, then the coordinator with \`--every 1h --store\`), every fleet run with a fresh Redis and a fresh store; \`--per-host\` and \`--fleet-per-host\` ${result.concurrency} for every worker. ` +
      '"round" is the round\'s own durationMs from the coordinator\'s "round completed" line; "wall" is fetch\'s spawn to exit, or the coordinator\'s spawn to that line. CPU: user + system of fetch or of the workers (summed; in brackets, what they had used before the coordinator started), of the coordinator, of redis-server (INFO cpu, from the coordinator\'s start), each including its start-up.',
    '',
    '| variant | median round (s) | rounds (s) | median wall (s) | walls (s) | round / fetch | wall / fetch | CPU s: tool / coordinator / redis | Redis commands per URL | peak RSS (MiB) | requests | max in flight |',
    '|---|--:|---|--:|---|--:|--:|---|--:|--:|--:|--:|',
  ];
  for (const summary of summaries) {
    const run = summary.medianRun;
    const isFleet = summary.variant.kind === 'fleet';
    const ratio = (ms: number | undefined): string =>
      isFleet && ms !== undefined && fetchMs !== undefined ? `${(ms / fetchMs).toFixed(2)}x` : '';
    lines.push(
      row([
        variantLabel(summary.variant),
        isFleet ? seconds(summary.timedMs) : '',
        isFleet
          ? summary.runs.map((each) => (each.failure === undefined ? seconds(each.roundMs) : 'FAIL')).join(' / ')
          : '',
        seconds(summary.wallMs),
        summary.runs.map((each) => (each.failure === undefined ? seconds(each.wallMs) : 'FAIL')).join(' / '),
        ratio(summary.timedMs),
        ratio(summary.wallMs),
        run === undefined ? '' : cpuCell(run),
        run?.redisCommandsPerUrl === undefined ? '' : run.redisCommandsPerUrl.toFixed(1),
        run?.peakRssKib === undefined ? '' : (run.peakRssKib / 1024).toFixed(0),
        run?.counters ? String(run.counters.requests) : '',
        run?.counters ? String(run.counters.maxInFlight) : '',
      ]),
    );
  }
  lines.push(
    '',
    'Where a fleet round\'s time goes (median run; seconds from "round started" unless said): start-up is the coordinator\'s spawn to "round started"; first and last URL are the first and last "url ..." lines of the workers; the round ends at the coordinator\'s next look at the ledger after the last URL.',
    '',
    '| variant | start-up (s) | enqueued (s) | first URL (s) | last URL (s) | round end (s) |',
    '|---|--:|--:|--:|--:|--:|',
  );
  for (const summary of summaries) {
    const phases = summary.medianRun?.phases;
    if (phases === undefined) continue;
    lines.push(
      row([
        variantLabel(summary.variant),
        seconds(phases.startupMs),
        seconds(phases.enqueueMs),
        seconds(phases.firstUrlMs),
        seconds(phases.lastUrlMs),
        seconds(summary.medianRun?.roundMs),
      ]),
    );
  }
  const mixes = summaries.filter((summary) => summary.medianRun?.redisCommandMix !== undefined);
  if (mixes.length > 0) {
    lines.push(
      '',
      "Redis commands per URL by name (median run, INFO commandstats, the bench's own INFO calls left out; commands run inside Lua scripts are counted, so `evalsha` is the scripts and most others are what they ran):",
      '',
    );
    for (const summary of mixes) {
      const mix = Object.entries(summary.medianRun!.redisCommandMix!)
        .filter(([name, perUrl]) => name !== 'info' && perUrl >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([name, perUrl]) => `${name} ${perUrl.toFixed(1)}`);
      lines.push(`- ${variantLabel(summary.variant)}: ${mix.join(', ')}`);
    }
  }
  return lines;
}

function enqueueTable(result: EnqueueResult): string[] {
  const urls = result.scenario.urls;
  const lines = [
    `A coordinator (no \`--store\`) on a fresh Redis, no worker; ${urls.toLocaleString('en')} distinct URLs on 127.0.0.1 (never fetched). "enqueue" is "round started" to "round enqueued" (log line times); used_memory is Redis's INFO memory before the coordinator started and once the round was enqueued; "per job" divides the difference by the waiting jobs. The round ledger's pending hash and BullMQ's event stream are part of that difference (MEMORY USAGE ... SAMPLES 0).`,
    '',
    '| run | enqueue (s) | spawn to enqueued (s) | used_memory before (MiB) | after (MiB) | bytes per waiting job | waiting jobs | ledger pending hash (bytes per URL) | event stream (MiB) | CPU s: coordinator / redis | coordinator peak RSS (MiB) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|',
  ];
  for (const run of result.runs) {
    lines.push(
      row([
        run.failure === undefined ? String(run.run) : `${run.run} (FAILED)`,
        seconds(run.enqueueMs),
        seconds(run.wallMs),
        mib(run.usedMemoryBefore),
        mib(run.usedMemoryAfter),
        perJob(run) === undefined ? '' : perJob(run)!.toFixed(0),
        run.waitingJobs === undefined ? '' : run.waitingJobs.toLocaleString('en'),
        run.pendingHashBytes === undefined ? '' : (run.pendingHashBytes / urls).toFixed(0),
        mib(run.eventStreamBytes),
        `${seconds(run.coordinatorCpuMs)} / ${seconds(run.redisCpuMs)}`,
        run.coordinatorPeakRssKib === undefined ? '' : (run.coordinatorPeakRssKib / 1024).toFixed(0),
      ]),
    );
  }
  return lines;
}

function memoryTables(result: MemoryResult): string[] {
  const lines = [
    `One worker (\`--concurrency ${result.concurrency}\`) and one coordinator on one Redis and one store for the whole sequence; the job scheduler fires round 1, \`round --wait\` each later one as soon as the previous one has completed. ${result.scenario.origin.count.toLocaleString('en')} images of ${result.scenario.origin.bytes} B, ${result.scenario.origin.latencyMs} ms latency, with ETags. used_memory, used_memory_dataset, DBSIZE and the worker's and coordinator's VmRSS are read right after each round's "round completed" line. One sequence whatever --runs says.${
      result.workerPeakRssKib === undefined
        ? ''
        : ` Worker peak RSS over the ${result.rounds.length} rounds: ${(result.workerPeakRssKib / 1024).toFixed(0)} MiB.`
    }`,
    '',
    '| round | duration (s) | `round --wait` wall (s) | downloaded | unchanged | failed | requests | 304s | used_memory (MiB) | used_memory_dataset (MiB) | keys | RSS MiB: worker / coordinator |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const round of result.rounds) {
    lines.push(
      row([
        String(round.round),
        seconds(round.roundMs),
        seconds(round.triggerWallMs),
        String(round.counts.downloaded),
        String(round.counts.unchanged),
        String(round.counts.failed),
        String(round.counters.requests),
        String(round.counters.notModified),
        mib(round.usedMemory, 2),
        mib(round.usedMemoryDataset, 2),
        String(round.keys),
        `${round.workerRssKib === undefined ? '?' : (round.workerRssKib / 1024).toFixed(0)} / ${round.coordinatorRssKib === undefined ? '?' : (round.coordinatorRssKib / 1024).toFixed(0)}`,
      ]),
    );
  }
  const later = result.rounds.filter((round) => round.round > 1).map((round) => round.roundMs);
  if (later.length > 0)
    lines.push(
      '',
      `Rounds 2 to ${result.rounds.length}: median ${seconds(median(later))} s, fastest ${seconds(Math.min(...later))} s, slowest ${seconds(Math.max(...later))} s.`,
    );
  const [first, last] = result.breakdowns;
  if (first !== undefined && last !== undefined) {
    lines.push(
      '',
      `Redis's keys by shape after round ${first.round} and after round ${last.round} (MEMORY USAGE ... SAMPLES 0, summed; ids replaced by placeholders), largest first:`,
      '',
    );
    lines.push(
      `| key shape | keys after ${first.round} | KiB after ${first.round} | keys after ${last.round} | KiB after ${last.round} |`,
      '|---|--:|--:|--:|--:|',
    );
    const patterns = [...new Set([...last.groups, ...first.groups].map((group) => group.pattern))];
    for (const pattern of patterns) {
      const before = first.groups.find((group) => group.pattern === pattern);
      const after = last.groups.find((group) => group.pattern === pattern);
      lines.push(
        row([
          `\`${pattern}\``,
          String(before?.keys ?? 0),
          ((before?.bytes ?? 0) / 1024).toFixed(1),
          String(after?.keys ?? 0),
          ((after?.bytes ?? 0) / 1024).toFixed(1),
        ]),
      );
    }
  }
  return lines;
}

function fleetTargets(result: FleetResult): TargetOutcome[] {
  const summaries = summarize(result);
  const fetch = summaries.find((summary) => summary.variant.kind === 'fetch');
  const max = result.scenario.maxRatioToFetch;
  const label = `within ${((max - 1) * 100).toFixed(0)}% of fetch on the same list (round durationMs vs fetch's wall)`;
  return summaries
    .filter((summary) => summary.variant.kind === 'fleet')
    .map((summary) => {
      if (summary.timedMs === undefined || fetch?.timedMs === undefined)
        return {
          label: `${variantLabel(summary.variant)}: ${label}`,
          measured: 'n/a (no passing run)',
          met: undefined,
        };
      const ratio = summary.timedMs / fetch.timedMs;
      const wallRatio = summary.wallMs! / fetch.timedMs;
      return {
        label: `${variantLabel(summary.variant)}: ${label}`,
        measured: `round ${seconds(summary.timedMs)} s vs fetch ${seconds(fetch.timedMs)} s = ${ratio.toFixed(2)}x (from coordinator spawn: ${seconds(summary.wallMs)} s = ${wallRatio.toFixed(2)}x)`,
        met: ratio <= max,
      };
    });
}

function enqueueTargets(result: EnqueueResult): TargetOutcome[] {
  const times = result.runs
    .filter((run) => run.failure === undefined && run.enqueueMs !== undefined)
    .map((run) => run.enqueueMs!);
  const perJobs = result.runs
    .filter((run) => run.failure === undefined)
    .map(perJob)
    .filter((value): value is number => value !== undefined);
  const label = `${result.scenario.urls.toLocaleString('en')} URLs enqueued in under ${result.scenario.maxEnqueueMs / 1000} s`;
  if (times.length === 0) return [{ label, measured: 'n/a (no passing run)', met: undefined }];
  const memory = perJobs.length === 0 ? '' : `; Redis ${median(perJobs).toFixed(0)} bytes per waiting job`;
  return [
    {
      label,
      measured: `median ${seconds(median(times))} s (runs ${times.map((ms) => seconds(ms)).join(' / ')})${memory}`,
      met: median(times) < result.scenario.maxEnqueueMs,
    },
  ];
}

function memoryTargets(result: MemoryResult): TargetOutcome[] {
  const { baselineRound, rounds, maxDrift } = result.scenario;
  const label = `used_memory after round ${rounds} within ${(maxDrift * 100).toFixed(0)}% of after round ${baselineRound}`;
  const base = result.rounds.find((round) => round.round === baselineRound);
  const last = result.rounds.find((round) => round.round === rounds);
  if (base === undefined || last === undefined || result.failure !== undefined)
    return [{ label, measured: 'n/a (the sequence failed)', met: undefined }];
  const drift = last.usedMemory / base.usedMemory - 1;
  return [
    {
      label,
      measured: `${mib(base.usedMemory, 2)} MiB -> ${mib(last.usedMemory, 2)} MiB (${drift >= 0 ? '+' : ''}${(drift * 100).toFixed(1)}%)`,
      met: Math.abs(drift) <= maxDrift,
    },
  ];
}

function perJob(run: EnqueueRun): number | undefined {
  return run.usedMemoryAfter === undefined || run.usedMemoryBefore === undefined || !run.waitingJobs
    ? undefined
    : (run.usedMemoryAfter - run.usedMemoryBefore) / run.waitingJobs;
}

function cpuCell(run: FleetRunResult): string {
  const cell = (ms: number | undefined): string => (ms === undefined ? '-' : seconds(ms));
  const idle = run.workerIdleCpuMs === undefined ? '' : ` (${cell(run.workerIdleCpuMs)})`;
  return `${cell(run.toolCpuMs)}${idle} / ${cell(run.coordinatorCpuMs)} / ${cell(run.redisCpuMs)}`;
}

function mib(bytes: number | undefined, digits = 1): string {
  return bytes === undefined ? '' : (bytes / MIB).toFixed(digits);
}
