import { describeSizes } from '../harness/origin/image-set.js';
import { LOAD_SERVER_LABELS, type LoadServerKind } from './load-servers.js';
import { median } from './median.js';
import { row, seconds, traceCell, trajectory } from './report-cells.js';
import type { LoadRun, WebLoadResult } from './run-web-load-scenario.js';
import type { ScenarioReport, TargetOutcome } from './scenario-report.js';
import { wrkErrorCount } from './wrk-output.js';

const MIB = 1024 ** 2;

/** The web-load scenario (issue 6): image-loader web, nginx and a bare node:http server under the same wrk load. */
export const webLoadReport: ScenarioReport<WebLoadResult> = {
  tables: (result, { environment }) => webLoadTables(result, environment),
  targets: (result) => webLoadTargets(result),
  failures: (result) => {
    const title = result.scenario.title;
    const runs = result.runs
      .filter((run) => run.failure !== undefined)
      .map((run) => `${title}, ${LOAD_SERVER_LABELS[run.server]}, "${run.mix}", run ${run.run}: ${run.failure}`);
    return [...(result.failure === undefined ? [] : [`${title}: ${result.failure}`]), ...runs];
  },
};

/** Scenario 10 as Markdown: how it ran, every timed run, then per mix the RSS over time and the medians with their ratios to the peers. */
function webLoadTables(result: WebLoadResult, versions: { wrk: string; nginx: string }): string[] {
  const { scenario, store } = result;
  const threads = Math.min(scenario.threads, result.connections);
  const lines: string[] = [];
  if (store !== undefined) {
    lines.push(
      `The store: ${store.images.toLocaleString('en')} images of ${describeSizes(scenario.origin.bytes, scenario.origin.spread)} (${(store.bytes / MIB).toFixed(1)} MiB in all, all in one folder \`img/\` of the human tree), stored by one \`fetch\` round from the synthetic origin (${seconds(store.fetchWallMs)} s) and verified file by file; the origin is stopped before any load.`,
      '',
    );
  }
  const mixes = scenario.mixes
    .filter((mix) => result.sequences[mix.name] !== undefined)
    .map((mix) => {
      const { paths, counts } = result.sequences[mix.name]!;
      return `"${mix.name}": of ${paths.length.toLocaleString('en')} requests, ${counts.images} images, ${counts.listings} folder listings, ${counts.healthz} \`/healthz\``;
    });
  lines.push(
    `${versions.wrk}, \`wrk -t${threads} -c${result.connections} -d${result.durationSecs}s --latency -s SCRIPT\` (its default 2 s timeout: a slower answer counts as a timeout error), on the same 2 cores as the server. Each mix's script cycles through a sequence drawn once (images each equally likely; listings of \`/\`, the host folder and its \`img/\` folder equally likely), each thread from its own offset: ${mixes.join('; ')}. ` +
      `Each run, for each mix, starts every server fresh on the same store, warms it up with an untimed ${Math.min(scenario.warmupSecs, result.durationSecs)} s wrk run, then times one. RSS: VmRSS (summed over nginx's master and worker) at the end of the warm-up ("start"), every ${scenario.rssSampleIntervalMs / 1000} s, and at the end of the load. Server CPU: user + system over the timed run. After the load every image is fetched once from the server and hashed. ` +
      `Peers: ${versions.nginx === 'unknown' ? 'nginx not installed' : versions.nginx} (one worker process, and \`worker_processes auto\`: one per core; sendfile, access log, autoindex), and a bare node:http server (harness/node-http-server-process.ts: stat + createReadStream, a readdir listing, an access log line per request). \`image-loader web\` logs a JSON line per request to its stdout, a file here.`,
  );
  for (const skipped of result.skipped)
    lines.push('', `Left out: ${LOAD_SERVER_LABELS[skipped.server]}: ${skipped.reason}.`);
  lines.push(
    '',
    '| mix | run | server | requests/s | p50 (ms) | p99 (ms) | max (ms) | requests | MiB/s read | errors: connect / read / write / timeout / non-2xx-3xx | RSS MiB: start / peak / end | server CPU s (µs per request) | wrk CPU s | served images |',
    '|---|--:|---|--:|--:|--:|--:|--:|--:|---|---|---|--:|---|',
  );
  for (const run of result.runs) lines.push(runRow(run));
  for (const mix of scenario.mixes)
    lines.push(
      ...mixSummary(
        result.runs.filter((run) => run.mix === mix.name),
        mix.name,
      ),
    );
  return lines;
}

function webLoadTargets(result: WebLoadResult): TargetOutcome[] {
  return [...result.scenario.mixes.flatMap((mix) => mixTargets(result, mix)), ...nginxShareTargets(result)];
}

/**
 * Issue 13: on the images mix, image-loader web at half of nginx's requests/s or better, with a p99 latency at most
 * 3x nginx's: each as packaged (`--workers auto --cache-recheck 1s` as web.env sets, `worker_processes auto` as Debian's nginx.conf),
 * and each on its own default (one process, one worker process).
 */
function nginxShareTargets(result: WebLoadResult): TargetOutcome[] {
  const runs = result.runs.filter((run) => run.mix === 'images' && run.figures !== undefined);
  const figures = (server: LoadServerKind) => medianFigures(runs.filter((run) => run.server === server));
  const pairs: [LoadServerKind, LoadServerKind][] = [
    ['image-loader-packaged', 'nginx-auto'],
    ['image-loader', 'nginx'],
  ];
  return pairs.flatMap(([mine, theirs]) => {
    const loader = figures(mine);
    const nginx = figures(theirs);
    if (loader.requestsPerSec === undefined || nginx.requestsPerSec === undefined) return [];
    const share = loader.requestsPerSec / nginx.requestsPerSec;
    const pair = `${LOAD_SERVER_LABELS[mine]} against ${LOAD_SERVER_LABELS[theirs]}`;
    const p99 = loader.p99 !== undefined && nginx.p99 !== undefined ? loader.p99 / nginx.p99 : undefined;
    return [
      {
        label: `"images", ${pair}: median requests/s at least 0.5x`,
        measured: `${share.toFixed(2)}x (${loader.requestsPerSec.toFixed(0)} / ${nginx.requestsPerSec.toFixed(0)} req/s)`,
        met: share >= 0.5,
      },
      {
        label: `"images", ${pair}: median p99 at most 3x`,
        measured:
          p99 === undefined ? 'n/a' : `${p99.toFixed(2)}x (${loader.p99!.toFixed(1)} / ${nginx.p99!.toFixed(1)} ms)`,
        met: p99 === undefined ? undefined : p99 <= 3,
      },
    ];
  });
}

function mixTargets(result: WebLoadResult, mix: { name: string }): TargetOutcome[] {
  const runs = result.runs.filter((run) => run.server === 'image-loader' && run.mix === mix.name);
  const label = `"${mix.name}": 0 errors over ${result.durationSecs} s at ${result.connections} connections`;
  const measured = runs.filter((run) => run.figures !== undefined);
  if (measured.length === 0) return [{ label, measured: 'n/a (no run measured)', met: undefined }];
  const errors = measured.map((run) => wrkErrorCount(run.figures!));
  const load = `${measured.map((run) => run.figures!.requestsPerSec.toFixed(0)).join(' / ')} req/s, p99 ${measured.map((run) => run.figures!.latencyMs.p99.toFixed(1)).join(' / ')} ms`;
  return [
    {
      label,
      measured: `${errors.join(' / ')} errors in ${measured.length} run(s); ${load}`,
      met: errors.every((count) => count === 0) && measured.length === runs.length,
    },
    {
      label: `"${mix.name}": memory stable (RSS MiB at start / peak / end of the load)`,
      measured: measured.map((run) => traceCell(run.rss)).join('; '),
      met: undefined,
    },
  ];
}

function runRow(run: LoadRun): string {
  const figures = run.figures;
  const errors =
    figures === undefined
      ? ''
      : `${figures.socketErrors.connect} / ${figures.socketErrors.read} / ${figures.socketErrors.write} / ${figures.socketErrors.timeout} / ${figures.non2xx3xx}`;
  const perRequest =
    figures !== undefined && run.serverCpuMs !== undefined && figures.requests > 0
      ? ` (${((run.serverCpuMs * 1000) / figures.requests).toFixed(0)})`
      : '';
  return row([
    run.mix,
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
    run.served === undefined
      ? ''
      : run.served.ok
        ? `${run.served.verified} byte-exact`
        : `**${run.served.verified} good**`,
  ]);
}

interface MedianFigures {
  requestsPerSec: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  cpuUsPerRequest: number | undefined;
}

/** One mix: each server's RSS over its first run, and the medians over the runs with image-loader web's ratios to each peer. */
function mixSummary(runs: readonly LoadRun[], mix: string): string[] {
  const servers = [...new Set(runs.map((run) => run.server))];
  if (servers.length === 0) return [];
  const lines = ['', `"${mix}": RSS in MiB, one reading every 5 s of the load, first run of each server:`, ''];
  for (const server of servers) {
    const first = runs.find((run) => run.server === server && run.rss !== undefined);
    if (first !== undefined) lines.push(`- ${LOAD_SERVER_LABELS[server]}: ${trajectory(first.rss!, 5000)}`);
  }
  const medians = new Map<LoadServerKind, MedianFigures>(
    servers.map((server) => [
      server,
      medianFigures(runs.filter((run) => run.server === server && run.figures !== undefined)),
    ]),
  );
  const loader = medians.get('image-loader');
  lines.push(
    '',
    `"${mix}": medians over the runs; the ratios divide image-loader web's median by the peer's (requests/s: below 1 is slower; p99 and CPU per request: above 1 is slower).`,
    '',
    '| server | median requests/s | median p50 (ms) | median p99 (ms) | median server CPU µs per request | image-loader web / this: requests/s | p99 | CPU per request |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const server of servers) {
    const figures = medians.get(server)!;
    const ratio = (pick: (m: MedianFigures) => number | undefined): string => {
      const mine = loader === undefined ? undefined : pick(loader);
      const theirs = pick(figures);
      return server === 'image-loader' || mine === undefined || theirs === undefined
        ? ''
        : `${(mine / theirs).toFixed(2)}x`;
    };
    lines.push(
      row([
        LOAD_SERVER_LABELS[server],
        figures.requestsPerSec?.toFixed(0) ?? '',
        figures.p50?.toFixed(2) ?? '',
        figures.p99?.toFixed(2) ?? '',
        figures.cpuUsPerRequest?.toFixed(0) ?? '',
        ratio((m) => m.requestsPerSec),
        ratio((m) => m.p99),
        ratio((m) => m.cpuUsPerRequest),
      ]),
    );
  }
  return lines;
}

function medianFigures(runs: readonly LoadRun[]): MedianFigures {
  const of = (values: (number | undefined)[]): number | undefined => {
    const known = values.filter((value): value is number => value !== undefined);
    return known.length === 0 ? undefined : median(known);
  };
  return {
    requestsPerSec: of(runs.map((run) => run.figures?.requestsPerSec)),
    p50: of(runs.map((run) => run.figures?.latencyMs.p50)),
    p99: of(runs.map((run) => run.figures?.latencyMs.p99)),
    cpuUsPerRequest: of(
      runs.map((run) =>
        run.serverCpuMs === undefined || !run.figures?.requests
          ? undefined
          : (run.serverCpuMs * 1000) / run.figures.requests,
      ),
    ),
  };
}
