import { loadavg } from 'node:os';
import { killAllChildren } from '../harness/child-processes.js';
import { createScratchRoot } from '../harness/scratch-dir.js';
import { BENCH_USAGE, type BenchArgs, parseBenchArgs } from './bench-args.js';
import type { BenchOptions } from './bench-options.js';
import { checkLoadTools, checkRedisTools, checkTools, describeEnvironment } from './environment.js';
import { TIME_BINARY } from './measure.js';
import { anyRunFailed, formatReport, type ScenarioResult } from './report.js';
import { runDownloadScenario } from './run-download-scenario.js';
import { runEnqueueScenario } from './run-enqueue-scenario.js';
import { runFleetScenario } from './run-fleet-scenario.js';
import { runMemoryScenario } from './run-memory-scenario.js';
import { runParseScenario } from './run-parse-scenario.js';
import { runPruneScenario } from './run-prune-scenario.js';
import { runWebLoadScenario } from './run-web-load-scenario.js';
import { runWorkerRssScenario } from './run-worker-rss-scenario.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

/**
 * `npm run bench -- [--scenarios small,large] [--runs 3]`: image-loader
 * against curl and aria2c on a loopback origin (issue 2's benchmark), and
 * fleet mode against `fetch` on its own Redis (issue 3's: fleet, enqueue,
 * memory), and the web node and one worker under load (issue 6's:
 * web-load, worker-rss). The Markdown report goes to stdout, progress to
 * stderr.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const scenarios = SCENARIOS.map((scenario) => `  ${scenario.id.padEnd(11)} ${scenario.title}\n`).join('');
    process.stdout.write(`${BENCH_USAGE}scenarios:\n${scenarios}`);
    return 0;
  }
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${BENCH_USAGE}`);
    return 2;
  }
  const selected = SCENARIOS.filter((candidate) => args.scenarios.includes(candidate.id));
  try {
    checkTools(TIME_BINARY);
    if (
      selected.some(
        (scenario) =>
          scenario.kind === 'fleet' ||
          scenario.kind === 'enqueue' ||
          scenario.kind === 'memory' ||
          scenario.kind === 'worker-rss',
      )
    )
      checkRedisTools();
    if (selected.some((scenario) => scenario.kind === 'web-load')) checkLoadTools();
  } catch (error) {
    // A missing tool is the operator's to install: its message says how; a stack trace would only hide it.
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  const environment = describeEnvironment();
  const started = Date.now();
  const options: BenchOptions = {
    runs: args.runs,
    concurrency: args.concurrency,
    perHost: args.perHost,
    runTimeoutMs: args.runTimeoutSecs * 1000,
    redisAof: args.redisAof,
    loadSecs: args.loadSecs,
    loadConnections: args.loadConnections,
    scratchRoot: createScratchRoot(),
    log: (message) => process.stderr.write(`${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s  ${message}\n`),
  };
  options.log(`scenarios ${args.scenarios.join(', ')}; ${args.runs} run(s) each; scratch in ${options.scratchRoot}`);

  const results: ScenarioResult[] = [];
  for (const scenario of selected) results.push(await runScenario(scenario, options));
  environment.loadAverageAtEnd = loadavg()[0];
  process.stdout.write(formatReport(results, args, environment));
  const failed = anyRunFailed(results);
  options.log(`done${failed ? ', with failed runs' : ''}`);
  return failed ? 1 : 0;
}

async function runScenario(scenario: Scenario, options: BenchOptions): Promise<ScenarioResult> {
  switch (scenario.kind) {
    case 'download':
      return await runDownloadScenario(scenario, options);
    case 'parse':
      return await runParseScenario(scenario, options);
    case 'fleet':
      return await runFleetScenario(scenario, options);
    case 'enqueue':
      return await runEnqueueScenario(scenario, options);
    case 'memory':
      return await runMemoryScenario(scenario, options);
    case 'web-load':
      return await runWebLoadScenario(scenario, options);
    case 'worker-rss':
      return await runWorkerRssScenario(scenario, options);
    case 'prune':
      return await runPruneScenario(scenario, options);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    killAllChildren();
    process.exitCode = code;
  },
  (error: unknown) => {
    killAllChildren();
    process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
