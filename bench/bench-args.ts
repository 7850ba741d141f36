import { parseArgs } from 'node:util';
import { DEFAULT_SCENARIO_IDS, SCENARIO_IDS, type ScenarioId } from './scenarios.js';

export interface BenchArgs {
  scenarios: ScenarioId[];
  /** Timed runs per tool per scenario; the median is reported. @defaultValue 3 */
  runs: number;
  /** Downloads in flight for every tool. @defaultValue 16 */
  concurrency: number;
  /** image-loader's --per-host (one origin is the only host). @defaultValue the concurrency */
  perHost: number;
  /** Longest one tool run may take. @defaultValue 600 */
  runTimeoutSecs: number;
  /** Fleet scenarios: Redis with AOF (`appendfsync everysec`, as fleet mode ships) instead of no persistence. @defaultValue false */
  redisAof: boolean;
  /** web-load: how long each server is under load (wrk -d). @defaultValue 60 */
  loadSecs: number;
  /** web-load: connections kept open (wrk -c). @defaultValue 64 */
  loadConnections: number;
  /** The arguments as given: the report prints the command that produced its figures. */
  argv: string[];
}

export const BENCH_USAGE = `usage: npm run bench -- [--scenarios ${SCENARIO_IDS.join(',')}] [--runs 3] [--concurrency 16] [--per-host N] [--run-timeout-secs 600] [--redis-aof] [--load-secs 60] [--load-connections 64]\n(without --scenarios: ${DEFAULT_SCENARIO_IDS.join(',')}; web-load and worker-rss are run when named)\n`;

/** Parses the bench's arguments; throws with a message naming the bad option, what was expected and what was given. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string', default: DEFAULT_SCENARIO_IDS.join(',') },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      'per-host': { type: 'string' },
      'run-timeout-secs': { type: 'string', default: '600' },
      'redis-aof': { type: 'boolean', default: false },
      'load-secs': { type: 'string', default: '60' },
      'load-connections': { type: 'string', default: '64' },
    },
    strict: true,
  });
  const scenarios = values.scenarios
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const unknown = scenarios.filter((id) => !SCENARIO_IDS.includes(id as ScenarioId));
  if (scenarios.length === 0 || unknown.length > 0) {
    throw new Error(
      `--scenarios: expected a comma-separated list of ${SCENARIO_IDS.join(', ')}, got "${values.scenarios}"`,
    );
  }
  const concurrency = integer('--concurrency', values.concurrency, 1, 1024);
  return {
    scenarios: SCENARIO_IDS.filter((id) => scenarios.includes(id)),
    runs: integer('--runs', values.runs, 1, 99),
    concurrency,
    perHost: values['per-host'] === undefined ? concurrency : integer('--per-host', values['per-host'], 1, 256),
    runTimeoutSecs: integer('--run-timeout-secs', values['run-timeout-secs'], 1, 3600),
    redisAof: values['redis-aof'],
    loadSecs: integer('--load-secs', values['load-secs'], 1, 3600),
    loadConnections: integer('--load-connections', values['load-connections'], 1, 10_000),
    argv: [...argv],
  };
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max)
    throw new Error(`${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  return value;
}
