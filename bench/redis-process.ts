import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, pingRedis } from '../test/support/redis-server.js';
import { killChild, stopChild, trackChild } from './child-processes.js';

/**
 * A `redis-server` of the bench's own, one per fleet run, so that every run
 * starts from an empty Redis and its memory figures hold nothing of another
 * run. Unlike test/support/redis-server.ts it is started detached and
 * tracked (child-processes.ts), so it dies with the bench however the bench
 * ends; it listens on 127.0.0.1 only.
 */
export interface BenchRedis {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** One INFO section as fields (`used_memory`, `total_commands_processed`, ...). */
  info(section: string): Record<string, string>;
  /** A number field of an INFO section; throws when it is missing (a figure must never default to 0). */
  infoNumber(section: string, field: string): number;
  /** redis-server's user plus system CPU time so far (INFO cpu). */
  cpuMs(): number;
  /** Calls so far by command name, from INFO commandstats (commands that Lua scripts run are counted too). */
  commandCalls(): Record<string, number>;
  /** One command through redis-cli, its raw reply. */
  cli(...args: string[]): string;
  /** Many commands through one redis-cli (read from its stdin), one reply a line; arguments must hold no whitespace. */
  cliBatch(commands: string[][]): string[];
  stop(): Promise<void>;
}

export interface BenchRedisOptions {
  dir: string;
  /** AOF with `appendfsync everysec`, the configuration fleet mode ships with; otherwise no persistence at all. */
  appendonly: boolean;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 30_000;

export async function startBenchRedis(options: BenchRedisOptions): Promise<BenchRedis> {
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    options.dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--logfile',
    join(options.dir, 'redis.log'),
    '--daemonize',
    'no',
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: true });
  trackChild(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pingRedis(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      killChild(child);
      throw new Error(`redis-server did not start on port ${port} (see ${join(options.dir, 'redis.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  const cli = (...command: string[]): string => {
    const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command], {
      encoding: 'utf8',
      timeout: CLI_TIMEOUT_MS,
    });
    if (result.status !== 0)
      throw new Error(`redis-cli ${command.join(' ')}: exit ${result.status}: ${result.stderr.trim()}`);
    return result.stdout.trim();
  };
  const cliBatch = (commands: string[][]): string[] => {
    if (commands.length === 0) return [];
    const input = commands.map((command) => command.join(' ')).join('\n');
    const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], {
      input,
      encoding: 'utf8',
      timeout: CLI_TIMEOUT_MS,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.status !== 0)
      throw new Error(`redis-cli (${commands.length} commands): exit ${result.status}: ${result.stderr.trim()}`);
    return result.stdout.replace(/\n$/, '').split('\n');
  };
  const info = (section: string): Record<string, string> => {
    const fields: Record<string, string> = {};
    for (const line of cli('INFO', section).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
    return fields;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    info,
    infoNumber: (section, field) => {
      const value = Number(info(section)[field]);
      if (!Number.isFinite(value)) throw new Error(`redis INFO ${section} has no number ${field}`);
      return value;
    },
    cpuMs: () => {
      const cpu = info('cpu');
      return (Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1000;
    },
    commandCalls: () => {
      const calls: Record<string, number> = {};
      for (const [field, value] of Object.entries(info('commandstats'))) {
        const match = /^calls=(\d+)/.exec(value);
        if (field.startsWith('cmdstat_') && match) calls[field.slice('cmdstat_'.length)] = Number(match[1]);
      }
      return calls;
    },
    cli,
    cliBatch,
    stop: () => stopChild(child, STOP_TIMEOUT_MS),
  };
}
