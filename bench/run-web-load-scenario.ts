import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RoundSummary } from '../core/round/round-summary.js';
import { nginxAvailable } from '../harness/nginx-server.js';
import { imagePath } from '../harness/origin/image-set.js';
import { type RssTrace, sampleRss } from '../harness/rss-sampler.js';
import { freshDir, removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { LOAD_SERVER_LABELS, type LoadServerKind, startLoadServer } from './load-servers.js';
import { type Command, measure } from './measure.js';
import { imageLoaderCommand, writeListFiles } from './peers.js';
import { mibOfKib } from './report-cells.js';
import { startScenarioOrigin } from './scenario-origin.js';
import type { WebLoadScenario } from './scenarios.js';
import { type Verification, verifyImageLoaderStore, verifyServedImages } from './verify.js';
import { parseWrkOutput, type WrkFigures, wrkErrorCount } from './wrk-output.js';
import { type RequestSequence, requestSequence, writeWrkScript } from './wrk-script.js';

/** One server under one timed wrk run. */
export interface LoadRun {
  server: LoadServerKind;
  /** The name of the scenario's request mix. */
  mix: string;
  run: number;
  figures: WrkFigures | undefined;
  /** The server's resident set (summed over its processes), sampled from the end of the warm-up to the end of the load. */
  rss: RssTrace | undefined;
  /** The server's CPU time during the timed run (all its processes). */
  serverCpuMs: number | undefined;
  /** wrk's own CPU time (GNU time): it shares the cores with the server. */
  wrkCpuMs: number | undefined;
  /** After the load, every stored image fetched once from the server and hashed. */
  served: Verification | undefined;
  failure: string | undefined;
}

export interface WebLoadResult {
  kind: 'web-load';
  scenario: WebLoadScenario;
  durationSecs: number;
  connections: number;
  /** The requests each mix's wrk script cycles through, by mix name. */
  sequences: Record<string, RequestSequence>;
  /** The store: a `fetch` round from the origin, verified before any load. */
  store: { images: number; bytes: number; fetchWallMs: number; verification: Verification } | undefined;
  /** Servers of the scenario left out, and why (a peer not installed). */
  skipped: { server: LoadServerKind; reason: string }[];
  runs: LoadRun[];
  failure: string | undefined;
}

/** wrk's default socket timeout (2 s) is kept: a request slower than that counts as an error, which the target forbids. */
const WRK_EXTRA_TIMEOUT_MS = 60_000;

/**
 * Scenario 10: a store filled by a real `fetch` round from the synthetic
 * origin (then stopped: it takes no CPU from the load), then, each run,
 * for each request mix, every server in turn on that store: started,
 * warmed up with an untimed wrk run, then `wrk --latency` for --load-secs
 * at --load-connections with the mix's request sequence, its resident set
 * sampled every second, its images fetched and hashed once after the
 * load, stopped.
 */
export async function runWebLoadScenario(scenario: WebLoadScenario, options: BenchOptions): Promise<WebLoadResult> {
  const result: WebLoadResult = {
    kind: 'web-load',
    scenario,
    durationSecs: options.loadSecs,
    connections: options.loadConnections,
    sequences: {},
    store: undefined,
    skipped: [],
    runs: [],
    failure: undefined,
  };
  const { dir, origin, expected } = await startScenarioOrigin(scenario.id, scenario.origin, options);
  const store = join(dir, 'store');
  try {
    const urls = expected.map((_, index) => `${origin.url}${imagePath(index)}`);
    options.log(`[${scenario.id}] building the store: fetch of ${urls.length} images`);
    const built = await measure(
      imageLoaderCommand(await writeListFiles(urls, dir), store, options.concurrency, options.perHost),
      dir,
      'fetch',
      options.runTimeoutMs,
    );
    await origin.close();
    const verification = await verifyImageLoaderStore(store, built.stdoutFile, urls, expected);
    if (built.exitCode !== 0 || !verification.ok) {
      result.failure = `building the store: fetch exited ${built.exitCode}, ${verification.verified} good: ${verification.problems.join('; ')}`;
      return result;
    }
    const summary = JSON.parse(await readFile(built.stdoutFile, 'utf8')) as RoundSummary;
    const images = summary.entries.map((entry) => ({
      path: `/${entry.path!.split('/').map(encodeURIComponent).join('/')}`,
      sha256: entry.sha256!,
      bytes: entry.bytes ?? 0,
    }));
    result.store = {
      images: images.length,
      bytes: images.reduce((total, image) => total + image.bytes, 0),
      fetchWallMs: built.wallMs,
      verification,
    };
    const scripts = new Map<string, string>();
    for (const mix of scenario.mixes) {
      const sequence = requestSequence(
        mix.shares,
        images.map((image) => image.path),
        folderPaths(images.map((image) => image.path)),
      );
      result.sequences[mix.name] = sequence;
      const script = join(dir, `requests-${scripts.size + 1}.lua`);
      await writeWrkScript(script, sequence.paths);
      scripts.set(mix.name, script);
    }

    const servers = scenario.servers.filter((server) => {
      if (!server.startsWith('nginx') || nginxAvailable()) return true;
      result.skipped.push({ server, reason: 'nginx is not installed (on Debian: apt-get install -y nginx-light)' });
      options.log(`[${scenario.id}] nginx not installed, left out (apt-get install -y nginx-light)`);
      return false;
    });
    for (let run = 1; run <= options.runs; run++) {
      for (const [mix, script] of scripts) {
        for (const server of servers)
          result.runs.push(await loadOnce({ scenario, options, store, mix, script, images, dir }, server, run));
      }
    }
  } catch (error) {
    result.failure = (error as Error).message;
  } finally {
    await origin.close();
    removeDir(dir);
  }
  return result;
}

interface LoadContext {
  scenario: WebLoadScenario;
  options: BenchOptions;
  store: string;
  mix: string;
  script: string;
  images: { path: string; sha256: string }[];
  dir: string;
}

async function loadOnce(context: LoadContext, kind: LoadServerKind, run: number): Promise<LoadRun> {
  const { scenario, options, store, mix, script, images } = context;
  const runDir = freshDir(join(context.dir, `${kind}-run${run}`));
  const prefix = `[${scenario.id}] ${LOAD_SERVER_LABELS[kind]}, ${mix}, run ${run}/${options.runs}`;
  const empty: LoadRun = {
    server: kind,
    mix,
    run,
    figures: undefined,
    rss: undefined,
    serverCpuMs: undefined,
    wrkCpuMs: undefined,
    served: undefined,
    failure: undefined,
  };
  let server;
  try {
    server = await startLoadServer(kind, store, runDir);
  } catch (error) {
    options.log(`${prefix}: FAILED to start: ${(error as Error).message}`);
    return { ...empty, failure: `did not start: ${(error as Error).message}` };
  }
  try {
    const warmupSecs = Math.min(scenario.warmupSecs, options.loadSecs);
    options.log(
      `${prefix}: warm-up ${warmupSecs} s, then ${options.loadSecs} s at ${options.loadConnections} connections`,
    );
    await measure(
      wrkCommand(scenario, options, server.url, script, warmupSecs),
      runDir,
      'wrk-warmup',
      warmupSecs * 1000 + WRK_EXTRA_TIMEOUT_MS,
    );
    const before = server.usage();
    const sampler = sampleRss(() => server.usage()?.rssKib, scenario.rssSampleIntervalMs);
    const timed = await measure(
      wrkCommand(scenario, options, server.url, script, options.loadSecs),
      runDir,
      'wrk',
      options.loadSecs * 1000 + WRK_EXTRA_TIMEOUT_MS,
    );
    const rss = sampler.stop();
    const after = server.usage();
    const output = await readFile(timed.stdoutFile, 'utf8');
    let figures: WrkFigures | undefined;
    let failure: string | undefined;
    try {
      figures = parseWrkOutput(output);
    } catch (error) {
      failure = `${(error as Error).message}; stderr: ${(await readFile(timed.stderrFile, 'utf8')).trim().slice(-300)}`;
    }
    const served = await verifyServedImages(server.url, images);
    if (failure === undefined && timed.exitCode !== 0)
      failure = `wrk exited with ${timed.timedOut ? 'a timeout' : `code ${timed.exitCode}`}`;
    if (failure === undefined && figures !== undefined && wrkErrorCount(figures) > 0)
      failure = `${wrkErrorCount(figures)} errors (socket errors or non-2xx/3xx responses)`;
    if (failure === undefined && !served.ok)
      failure = `served images: ${served.verified} good: ${served.problems.join('; ')}`;
    const result: LoadRun = {
      ...empty,
      figures,
      rss,
      serverCpuMs: before && after ? after.cpuMs - before.cpuMs : undefined,
      wrkCpuMs: timed.cpuMs,
      served,
      failure,
    };
    options.log(`${prefix}: ${describeLoadRun(result)}`);
    return result;
  } finally {
    await server.stop();
    removeDir(runDir);
  }
}

function wrkCommand(
  scenario: WebLoadScenario,
  options: BenchOptions,
  url: string,
  script: string,
  secs: number,
): Command {
  const threads = Math.min(scenario.threads, options.loadConnections);
  return {
    command: 'wrk',
    args: [`-t${threads}`, `-c${options.loadConnections}`, `-d${secs}s`, '--latency', '-s', script, url],
  };
}

/** `/`, and every folder above the images, each with its trailing slash (without one, a listing is a 301). */
function folderPaths(imagePaths: readonly string[]): string[] {
  const folders = new Set<string>(['/']);
  for (const path of imagePaths) {
    const segments = path.split('/').slice(1, -1);
    for (let depth = 1; depth <= segments.length; depth++) folders.add(`/${segments.slice(0, depth).join('/')}/`);
  }
  return [...folders];
}

/** A run's main figures in one line, for the progress log. */
function describeLoadRun(run: LoadRun): string {
  const figures = run.figures;
  const load =
    figures === undefined
      ? ''
      : `${figures.requestsPerSec.toFixed(0)} req/s, p50 ${figures.latencyMs.p50.toFixed(2)} ms, p99 ${figures.latencyMs.p99.toFixed(2)} ms, ${wrkErrorCount(figures)} errors; `;
  const rss =
    run.rss === undefined
      ? ''
      : `RSS MiB ${mibOfKib(run.rss.startKib)} / ${mibOfKib(run.rss.peakKib)} / ${mibOfKib(run.rss.endKib)}; `;
  return `${load}${rss}${run.failure === undefined ? 'served images verified' : `FAILED: ${run.failure}`}`;
}
