import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLOOR_PATH, floorSha256, imagePath } from '../harness/origin/image-set.js';
import type { BenchOrigin, OriginCounters } from '../harness/origin/origin-client.js';
import { flushDisk, freshDir, removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { type Command, type Measurement, measure } from './measure.js';
import {
  aria2cCommand,
  curlCommand,
  curlFloorCommand,
  imageLoaderCommand,
  type ListFiles,
  type ToolName,
  undiciFloorCommand,
  writeListFiles,
} from './peers.js';
import { startScenarioOrigin } from './scenario-origin.js';
import type { DownloadScenario } from './scenarios.js';
import {
  type Verification,
  verifyDiscardSummary,
  verifyImageLoaderStore,
  verifyPlainDir,
  verifySingleFile,
} from './verify.js';
import { warmOrigin } from './warm-origin.js';

/** One timed run of one tool. */
export interface RunResult {
  tool: ToolName;
  run: number;
  wallMs: number;
  peakRssKib: number | undefined;
  /** User plus system CPU time of the tool's process (GNU time, 10 ms resolution). */
  cpuMs: number | undefined;
  /** What the origin served during the timed run. */
  counters: OriginCounters | undefined;
  verification: Verification | undefined;
  /** Why this run does not count (timeout, exit code, failed verification); undefined when it passed. */
  failure: string | undefined;
}

export interface DownloadResult {
  kind: 'download';
  scenario: DownloadScenario;
  /** `count x latency / concurrency` when the scenario has a latency floor. */
  latencyFloorMs: number | undefined;
  runs: RunResult[];
}

const FLOOR_FILE = 'floor.jpg';
const STDERR_TAIL_CHARS = 300;

/**
 * Runs one download scenario: its own origin process, warmed by one untimed pass over its files, then `runs`
 * rounds of every tool (each in a fresh directory, verified file by file, then removed), then the origin is
 * stopped.
 */
export async function runDownloadScenario(scenario: DownloadScenario, options: BenchOptions): Promise<DownloadResult> {
  const { count, latencyMs, floorBytes } = scenario.origin;
  const { dir, origin, expected } = await startScenarioOrigin(scenario.id, scenario.origin, options);
  const floorSha = floorBytes ? floorSha256(floorBytes) : undefined;

  const runs: RunResult[] = [];
  try {
    const urls = expected.map((_, index) => `${origin.url}${imagePath(index)}`);
    const context: RunContext = {
      scenario,
      options,
      origin,
      urls,
      expected,
      floorSha,
      lists: await writeListFiles(urls, dir),
      dir,
    };
    options.log(`[${scenario.id}] warming the origin: every file once (untimed)`);
    await warmOrigin(floorBytes ? [...urls, `${origin.url}${FLOOR_PATH}`] : urls, options.concurrency);
    for (let run = 1; run <= options.runs; run++) {
      for (const tool of toolsInOrder(scenario, run)) runs.push(await runTool(context, tool, run));
    }
  } finally {
    await origin.close();
    removeDir(dir);
  }
  const latencyFloorMs = scenario.latencyFloor ? (count * latencyMs) / options.concurrency : undefined;
  return { kind: 'download', scenario, latencyFloorMs, runs };
}

/** The scenario's tools for one round of runs: reversed every other round when the scenario alternates them. */
function toolsInOrder(scenario: DownloadScenario, run: number): ToolName[] {
  return scenario.alternate === true && run % 2 === 0 ? [...scenario.tools].reverse() : [...scenario.tools];
}

interface RunContext {
  scenario: DownloadScenario;
  options: BenchOptions;
  origin: BenchOrigin;
  urls: string[];
  expected: string[];
  floorSha: string | undefined;
  lists: ListFiles;
  dir: string;
}

async function runTool(context: RunContext, tool: ToolName, run: number): Promise<RunResult> {
  const { scenario, options, origin, dir } = context;
  const label = `${tool}-run${run}`;
  const output = freshDir(join(dir, label));
  const prefix = `[${scenario.id}] ${tool} run ${run}/${options.runs}`;
  try {
    if (scenario.rerun) {
      options.log(`${prefix}: priming a fresh directory (untimed)`);
      const prime = await measure(
        commandFor(context, tool, output, false),
        dir,
        `${label}-prime`,
        options.runTimeoutMs,
      );
      const failure = await failureOf(
        prime,
        await verifyOutput(context, tool, output, prime.stdoutFile, undefined),
        options.runTimeoutMs,
      );
      if (failure !== undefined)
        return report(context, prefix, {
          tool,
          run,
          wallMs: prime.wallMs,
          peakRssKib: undefined,
          cpuMs: undefined,
          counters: undefined,
          verification: undefined,
          failure: `priming run: ${failure}`,
        });
    }
    flushDisk();
    await origin.reset();
    const timed = await measure(commandFor(context, tool, output, scenario.rerun), dir, label, options.runTimeoutMs);
    const counters = await origin.counters();
    const verification = await verifyOutput(context, tool, output, timed.stdoutFile, counters);
    const failure = await failureOf(timed, verification, options.runTimeoutMs);
    return report(context, prefix, {
      tool,
      run,
      wallMs: timed.wallMs,
      peakRssKib: timed.peakRssKib,
      cpuMs: timed.cpuMs,
      counters,
      verification,
      failure,
    });
  } finally {
    removeDir(output);
  }
}

function commandFor(context: RunContext, tool: ToolName, output: string, conditional: boolean): Command {
  const { lists, options, origin } = context;
  switch (tool) {
    case 'image-loader':
    case 'image-loader-metrics':
      return imageLoaderCommand(lists, output, options.concurrency, options.perHost, tool === 'image-loader-metrics');
    case 'curl':
      return curlCommand(lists, output, options.concurrency);
    case 'aria2c':
      return aria2cCommand(lists, output, options.concurrency, conditional);
    case 'curl-floor':
      return curlFloorCommand(`${origin.url}${FLOOR_PATH}`, join(output, FLOOR_FILE));
    case 'undici-floor':
    case 'undici-discard':
      return undiciFloorCommand(lists, output, options.concurrency, options.perHost, tool === 'undici-discard');
  }
}

async function verifyOutput(
  context: RunContext,
  tool: ToolName,
  output: string,
  stdoutFile: string,
  counters: OriginCounters | undefined,
): Promise<Verification> {
  switch (tool) {
    case 'image-loader':
    case 'image-loader-metrics':
      return verifyImageLoaderStore(output, stdoutFile, context.urls, context.expected);
    case 'curl':
    case 'aria2c':
    case 'undici-floor':
      return verifyPlainDir(output, context.expected);
    case 'curl-floor':
      return verifySingleFile(join(output, FLOOR_FILE), context.floorSha!);
    case 'undici-discard':
      return verifyDiscardSummary(stdoutFile, context.urls.length, counters);
  }
}

/** Why a measured image-loader or peer run does not count (killed, a non-zero exit with its stderr's end, failed verification); undefined when it passed. */
export async function failureOf(
  measured: Measurement,
  verification: Verification,
  timeoutMs: number,
): Promise<string | undefined> {
  if (measured.timedOut) return `killed after ${timeoutMs / 1000} s`;
  if (measured.exitCode !== 0) {
    const stderr = await readFile(measured.stderrFile, 'utf8').catch(() => '');
    return `exit code ${measured.exitCode}: ${stderr.trim().slice(-STDERR_TAIL_CHARS) || '(no stderr)'}`;
  }
  if (!verification.ok)
    return `verification failed (${verification.verified} good): ${verification.problems.join('; ')}`;
  return undefined;
}

function report(context: RunContext, prefix: string, result: RunResult): RunResult {
  const rss = result.peakRssKib === undefined ? '?' : `${(result.peakRssKib / 1024).toFixed(0)} MiB`;
  const served = result.counters
    ? `, ${result.counters.requests} req, ${(result.counters.bodyBytes / 1024 ** 2).toFixed(1)} MiB body, ${result.counters.notModified} x 304, max ${result.counters.maxInFlight} in flight`
    : '';
  const outcome = result.failure === undefined ? 'verified' : `FAILED: ${result.failure}`;
  context.options.log(`${prefix}: ${(result.wallMs / 1000).toFixed(2)} s, ${rss}${served}; ${outcome}`);
  return result;
}
