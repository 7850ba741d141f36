import { describeSizes } from './image-set.js';
import { LOAD_SERVER_LABELS } from './load-servers.js';
import type { LoadRun, WebLoadResult } from './run-web-load-scenario.js';
import type { RssRun, WorkerRssResult } from './run-worker-rss-scenario.js';
import type { RssTrace } from './rss-sampler.js';
import { targetTable, type TargetOutcome } from './targets.js';
import { median } from './tool-summary.js';
import { wrkErrorCount } from './wrk-output.js';

export type LoadResult = WebLoadResult | WorkerRssResult;

const MIB = 1024 ** 2;

/** Issue 6's scenarios as Markdown: a table each, then their targets. */
export function formatLoadReport(results: readonly LoadResult[], versions: { wrk: string; nginx: string }): string[] {
  const lines: string[] = [];
  const outcomes: { scenario: string; outcome: TargetOutcome }[] = [];
  for (const result of results) {
    lines.push(`### ${result.scenario.title}`, '');
    lines.push(...(result.kind === 'web-load' ? webLoadTables(result, versions) : workerRssTables(result)), '');
    for (const outcome of result.kind === 'web-load' ? webLoadTargets(result) : workerRssTargets(result)) outcomes.push({ scenario: result.scenario.title, outcome });
  }
  lines.push(...targetTable('issue 6', outcomes, '-'));
  const failures = results.flatMap(failuresOf);
  lines.push(...(failures.length === 0 ? ['All load runs passed (no errors, every served or stored image byte-exact).'] : ['Failed load runs:', '', ...failures.map((line) => `- ${line.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}`)]));
  return lines;
}

/** Whether any run of a load scenario failed. */
export function loadResultFailed(result: LoadResult): boolean {
  return failuresOf(result).length > 0;
}

function webLoadTables(result: WebLoadResult, versions: { wrk: string; nginx: string }): string[] {
  const { scenario, sequence, store } = result;
  const threads = Math.min(scenario.threads, result.connections);
  const lines: string[] = [];
  if (store !== undefined) {
    lines.push(`The store: ${store.images.toLocaleString('en')} images of ${describeSizes(scenario.origin.bytes, scenario.origin.spread)} (${(store.bytes / MIB).toFixed(1)} MiB in all), stored by one \`fetch\` round from the synthetic origin (${seconds(store.fetchWallMs)} s) and verified file by file; the origin is stopped before any load.`);
  }
  if (sequence !== undefined) {
    const { images, listings, healthz } = sequence.counts;
    lines.push(
      '',
      `${versions.wrk}, \`wrk -t${threads} -c${result.connections} -d${result.durationSecs}s --latency -s requests.lua\` (its default 2 s timeout), on the same 2 cores as the server. The script cycles through ${sequence.paths.length.toLocaleString('en')} requests drawn once: ${images} images (each of the store's equally likely), ${listings} folder listings (\`/\`, the host folder, and its \`img/\` folder of ${store?.images.toLocaleString('en') ?? '?'} entries, equally likely), ${healthz} \`/healthz\`; each thread starts at its own offset. ` +
        `Each run starts every server fresh on the same store, warms it up with an untimed ${Math.min(scenario.warmupSecs, result.durationSecs)} s wrk run, then times one. RSS: VmRSS (summed over nginx's master and worker) at the end of the warm-up ("start"), every ${scenario.rssSampleIntervalMs / 1000} s, and at the end of the load. After the load every image is fetched once and hashed. ` +
        `Peers: ${versions.nginx === 'unknown' ? 'nginx not installed' : `${versions.nginx}`} (one worker process, sendfile, access log, autoindex), and a bare node:http server (bench/node-http-server-process.ts: stat + createReadStream, a readdir listing, an access log line per request). \`image-loader web\` logs a JSON line per request to its stdout, a file here.`,
    );
  }
  for (const skipped of result.skipped) lines.push('', `Left out: ${LOAD_SERVER_LABELS[skipped.server]}: ${skipped.reason}.`);
  lines.push(
    '',
    '| run | server | requests/s | p50 (ms) | p99 (ms) | max (ms) | requests | MiB/s read | errors: connect / read / write / timeout / non-2xx-3xx | RSS MiB: start / peak / end | server CPU s (µs per request) | wrk CPU s | served images |',
    '|--:|---|--:|--:|--:|--:|--:|--:|---|---|---|--:|---|',
  );
  for (const run of result.runs) {
    const figures = run.figures;
    const errors = figures === undefined ? '' : `${figures.socketErrors.connect} / ${figures.socketErrors.read} / ${figures.socketErrors.write} / ${figures.socketErrors.timeout} / ${figures.non2xx3xx}`;
    const perRequest = figures !== undefined && run.serverCpuMs !== undefined && figures.requests > 0 ? ` (${((run.serverCpuMs * 1000) / figures.requests).toFixed(0)})` : '';
    lines.push(
      row([
        String(run.run),
        LOAD_SERVER_LABELS[run.server] + (run.failure === undefined ? '' : ' (FAILED)'),
        figures === undefined ? '' : figures.requestsPerSec.toFixed(0),
        figures === undefined ? '' : figures.latencyMs.p50.toFixed(2),
        figures === undefined ? '' : figures.latencyMs.p99.toFixed(2),
        figures === undefined ? '' : figures.latencyMs.max.toFixed(1),
        figures === undefined ? '' : figures.requests.toLocaleString('en'),
        figures === undefined ? '' : (figures.bytesRead / MIB / figures.durationSecs).toFixed(1),
        errors,
        traceCell(run.rss),
        run.serverCpuMs === undefined ? '' : `${seconds(run.serverCpuMs)}${perRequest}`,
        seconds(run.wrkCpuMs),
        run.served === undefined ? '' : run.served.ok ? `${run.served.verified} byte-exact` : `**${run.served.verified} good**`,
      ]),
    );
  }
  const servers = [...new Set(result.runs.map((run) => run.server))];
  lines.push('', 'RSS in MiB, one reading every 5 s of the load, first run of each server:', '');
  for (const server of servers) {
    const first = result.runs.find((run) => run.server === server && run.rss !== undefined);
    if (first !== undefined) lines.push(`- ${LOAD_SERVER_LABELS[server]}: ${trajectory(first.rss!, 5000)}`);
  }
  const medians = new Map(servers.map((server) => [server, medianFigures(result.runs.filter((run) => run.server === server && run.figures !== undefined))]));
  const loader = medians.get('image-loader');
  if (servers.length > 0) {
    lines.push(
      '',
      'Medians over the runs; the ratios divide image-loader web\'s median by the peer\'s (requests/s: below 1 is slower; p99 and CPU per request: above 1 is slower).',
      '',
      '| server | median requests/s | median p50 (ms) | median p99 (ms) | median server CPU µs per request | image-loader web / this: requests/s | p99 | CPU per request |',
      '|---|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const server of servers) {
      const figures = medians.get(server);
      const ratio = (pick: (m: MedianFigures) => number | undefined): string => {
        const mine = loader === undefined ? undefined : pick(loader);
        const theirs = figures === undefined ? undefined : pick(figures);
        return server === 'image-loader' || mine === undefined || theirs === undefined ? '' : `${(mine / theirs).toFixed(2)}x`;
      };
      lines.push(
        row([
          LOAD_SERVER_LABELS[server],
          figures?.requestsPerSec?.toFixed(0) ?? '',
          figures?.p50?.toFixed(2) ?? '',
          figures?.p99?.toFixed(2) ?? '',
          figures?.cpuUsPerRequest?.toFixed(0) ?? '',
          ratio((m) => m.requestsPerSec),
          ratio((m) => m.p99),
          ratio((m) => m.cpuUsPerRequest),
        ]),
      );
    }
  }
  return lines;
}

interface MedianFigures {
  requestsPerSec: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  cpuUsPerRequest: number | undefined;
}

function medianFigures(runs: readonly LoadRun[]): MedianFigures | undefined {
  if (runs.length === 0) return undefined;
  const of = (values: (number | undefined)[]): number | undefined => {
    const known = values.filter((value): value is number => value !== undefined);
    return known.length === 0 ? undefined : median(known);
  };
  return {
    requestsPerSec: of(runs.map((run) => run.figures?.requestsPerSec)),
    p50: of(runs.map((run) => run.figures?.latencyMs.p50)),
    p99: of(runs.map((run) => run.figures?.latencyMs.p99)),
    cpuUsPerRequest: of(runs.map((run) => (run.serverCpuMs === undefined || !run.figures?.requests ? undefined : (run.serverCpuMs * 1000) / run.figures.requests))),
  };
}

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
    const peakSample = run.rss?.samples.reduce((best, sample) => (sample.rssKib > best.rssKib ? sample : best), run.rss.samples[0]!);
    lines.push(
      row([
        run.variant === 'worker' ? `worker (--concurrency ${scenario.concurrency})` : `fetch (--concurrency ${scenario.concurrency})`,
        run.failure === undefined ? String(run.run) : `${run.run} (FAILED)`,
        seconds(run.roundMs),
        mib(run.baselineKib),
        mib(run.rss?.peakKib),
        peakSample === undefined ? '' : seconds(peakSample.atMs),
        mib(run.highWaterKib),
        mib(run.rss?.endKib),
        String(run.rss?.samples.length ?? ''),
        seconds(run.cpuMs),
        run.counters ? String(run.counters.requests) : '',
        run.counters ? String(run.counters.maxInFlight) : '',
        run.verification === undefined ? '' : run.verification.ok ? `${run.verification.verified} byte-exact` : `**${run.verification.verified} good**`,
      ]),
    );
  }
  for (const variant of ['worker', 'fetch'] as const) {
    const passed = result.runs.filter((run) => run.variant === variant && run.failure === undefined);
    const highest = maxOf(passed.map((run) => run.highWaterKib));
    if (highest !== undefined) lines.push('', `${variant}: highest high-water over ${passed.length} passing run(s) ${mib(highest)} MiB; median round ${seconds(median(passed.map((run) => run.roundMs ?? Number.NaN)))} s.`);
  }
  lines.push('', 'RSS in MiB, one reading a second, first run of each:', '');
  for (const variant of ['worker', 'fetch'] as const) {
    const first = result.runs.find((run) => run.variant === variant && run.rss !== undefined);
    if (first !== undefined) lines.push(`- ${variant}: ${trajectory(first.rss!, 1000)}`);
  }
  return lines;
}

function webLoadTargets(result: WebLoadResult): TargetOutcome[] {
  const runs = result.runs.filter((run) => run.server === 'image-loader');
  const label = `0 errors over ${result.durationSecs} s at ${result.connections} connections`;
  const measured = runs.filter((run) => run.figures !== undefined);
  if (measured.length === 0) return [{ label, measured: 'n/a (no run measured)', met: undefined }];
  const errors = measured.map((run) => wrkErrorCount(run.figures!));
  const rss = measured.map((run) => traceCell(run.rss)).join('; ');
  return [
    { label, measured: `${errors.join(' / ')} errors in ${measured.length} run(s); ${measured.map((run) => run.figures!.requestsPerSec.toFixed(0)).join(' / ')} req/s, p99 ${measured.map((run) => run.figures!.latencyMs.p99.toFixed(1)).join(' / ')} ms`, met: errors.every((count) => count === 0) && measured.length === runs.length },
    { label: 'memory stable: RSS at start and end of the load (MiB: start / peak / end)', measured: rss, met: undefined },
  ];
}

function workerRssTargets(result: WorkerRssResult): TargetOutcome[] {
  const bound = result.scenario.maxPeakRssMib;
  const passed = result.runs.filter((run) => run.variant === 'worker' && run.failure === undefined);
  const highest = maxOf(passed.map((run) => run.highWaterKib));
  const label = bound === undefined ? 'worker RSS stays under a measured bound (none stated yet)' : `worker RSS stays under ${bound} MiB (VmHWM)`;
  if (highest === undefined) return [{ label, measured: 'n/a (no passing run)', met: undefined }];
  return [{ label, measured: `highest ${mib(highest)} MiB over ${passed.length} run(s) (${passed.map((run) => mib(run.highWaterKib)).join(' / ')})`, met: bound === undefined ? undefined : highest / 1024 < bound }];
}

function failuresOf(result: LoadResult): string[] {
  const title = result.scenario.title;
  if (result.kind === 'web-load') {
    return [...(result.failure === undefined ? [] : [`${title}: ${result.failure}`]), ...result.runs.filter((run) => run.failure !== undefined).map((run) => `${title}, ${LOAD_SERVER_LABELS[run.server]} run ${run.run}: ${run.failure}`)];
  }
  return result.runs.filter((run: RssRun) => run.failure !== undefined).map((run) => `${title}, ${run.variant} run ${run.run}: ${run.failure}`);
}

function traceCell(trace: RssTrace | undefined): string {
  return trace === undefined ? '' : `${mib(trace.startKib)} / ${mib(trace.peakKib)} / ${mib(trace.endKib)}`;
}

/** The first reading, then the first at or after each further `everyMs`, and the last. */
function trajectory(trace: RssTrace, everyMs: number): string {
  const picked: number[] = [];
  let next = 0;
  trace.samples.forEach((sample, index) => {
    if (sample.atMs >= next || index === trace.samples.length - 1) {
      picked.push(sample.rssKib);
      next = (Math.floor(sample.atMs / everyMs) + 1) * everyMs;
    }
  });
  return picked.map((kib) => mib(kib)).join(' ');
}

function maxOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '' : (ms / 1000).toFixed(2);
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '' : (kib / 1024).toFixed(0);
}
