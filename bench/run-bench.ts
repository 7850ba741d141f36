import { BENCH_USAGE, parseBenchArgs, type BenchArgs } from './bench-args.js';
import { killAllChildren } from './child-processes.js';
import { checkTools, describeEnvironment } from './environment.js';
import { TIME_BINARY } from './measure.js';
import { formatReport, type ScenarioResult } from './report.js';
import { runDownloadScenario, type BenchOptions } from './run-download-scenario.js';
import { runParseScenario } from './run-parse-scenario.js';
import { SCENARIOS } from './scenarios.js';
import { createScratchRoot } from './scratch-dir.js';

/**
 * `npm run bench -- [--scenarios small,large] [--runs 3]`: image-loader
 * against curl and aria2c on a loopback origin (issue 2's benchmark). The
 * Markdown report goes to stdout, progress to stderr.
 */
async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${BENCH_USAGE}`);
    return 2;
  }
  checkTools(TIME_BINARY);
  const environment = describeEnvironment();
  const started = Date.now();
  const options: BenchOptions = {
    runs: args.runs,
    concurrency: args.concurrency,
    perHost: args.perHost,
    runTimeoutMs: args.runTimeoutSecs * 1000,
    scratchRoot: createScratchRoot(),
    log: (message) => process.stderr.write(`${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s  ${message}\n`),
  };
  options.log(`scenarios ${args.scenarios.join(', ')}; ${args.runs} run(s) each; scratch in ${options.scratchRoot}`);

  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((candidate) => args.scenarios.includes(candidate.id))) {
    results.push(scenario.kind === 'download' ? await runDownloadScenario(scenario, options) : await runParseScenario(scenario, options));
  }
  process.stdout.write(formatReport(results, args, environment));
  const failed = results.some((result) => (result.kind === 'download' ? result.runs.some((run) => run.failure) : result.lists.some((list) => list.runs.some((run) => run.failure))));
  options.log(`done${failed ? ', with failed runs' : ''}`);
  return failed ? 1 : 0;
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
