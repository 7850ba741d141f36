import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { killChild, stopChild, trackChild } from './child-processes.js';
import { freePort } from './free-port.js';

/**
 * A real `redis-server` (the Debian package) on a free loopback port, in its
 * own directory: one per test suite or per bench run, so no run sees
 * another's keys or memory. It is started detached and tracked
 * (child-processes.ts), so it dies with the process that started it.
 */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Stops it: SIGTERM (Redis saves its AOF and exits; SIGKILL after STOP_TIMEOUT_MS) or SIGKILL. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and directory (with AOF, the data comes back). */
  start(): Promise<void>;
  /** One command through redis-cli, its reply as redis-cli prints it for a person (`(integer) 3`). */
  cli(...args: string[]): string;
  /** One command through redis-cli, its raw reply; throws when redis-cli fails. */
  query(...args: string[]): string;
  /** Many commands through one redis-cli (read from its stdin), one raw reply a line; arguments must hold no whitespace. */
  queryBatch(commands: string[][]): string[];
  /** One INFO section as fields (`used_memory`, `total_commands_processed`, ...). */
  info(section: string): Record<string, string>;
  /** A number field of an INFO section; throws when it is missing (a figure must never default to 0). */
  infoNumber(section: string, field: string): number;
  /** redis-server's user plus system CPU time so far (INFO cpu). */
  cpuMs(): number;
  /** Calls so far by command name, from INFO commandstats (commands that Lua scripts run are counted too). */
  commandCalls(): Record<string, number>;
}

export interface RedisServerOptions {
  dir: string;
  /** AOF with `appendfsync everysec`, the configuration fleet mode ships with; otherwise no persistence. @defaultValue true */
  appendonly?: boolean;
  /** @defaultValue 'noeviction' (what fleet mode requires) */
  maxmemoryPolicy?: string;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 30_000;
const CLI_MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/** A suite's `skip` without redis-server: the reason to print, never a silent pass; false when it is there. */
export function redisServerMissing(): string | false {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return false;
  return 'redis-server is not installed (apt-get install redis-server; .ci/run does)';
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const port = await freePort();
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dir, '--save', ''],
    ...['--appendonly', options.appendonly === false ? 'no' : 'yes', '--appendfsync', 'everysec'],
    ...['--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction'],
    ...['--logfile', join(options.dir, 'redis.log'), '--daemonize', 'no'],
  ];
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    let log = '';
    const started = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child = started;
    trackChild(started);
    started.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await pingRedis(port))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        killChild(started);
        throw new Error(`redis-server did not start on port ${port} (see ${join(options.dir, 'redis.log')}): ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await start();
  const query = (...command: string[]): string => {
    const result = spawnSync('redis-cli', ['-p', String(port), ...command], {
      encoding: 'utf8',
      timeout: CLI_TIMEOUT_MS,
    });
    if (result.status !== 0)
      throw new Error(`redis-cli ${command.join(' ')}: exit ${result.status}: ${result.stderr.trim()}`);
    return result.stdout.trim();
  };
  const info = (section: string): Record<string, string> => {
    const fields: Record<string, string> = {};
    for (const line of query('INFO', section).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
    return fields;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async (signal = 'SIGTERM') => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      if (signal === 'SIGTERM') return stopChild(running, STOP_TIMEOUT_MS);
      const exited = new Promise((resolve) => running.once('exit', resolve));
      killChild(running, signal);
      await exited;
    },
    cli: (...command) =>
      spawnSync('redis-cli', ['-p', String(port), '--no-raw', ...command], { encoding: 'utf8' }).stdout.trim(),
    query,
    queryBatch: (commands) => {
      if (commands.length === 0) return [];
      const result = spawnSync('redis-cli', ['-p', String(port)], {
        input: commands.map((command) => command.join(' ')).join('\n'),
        encoding: 'utf8',
        timeout: CLI_TIMEOUT_MS,
        maxBuffer: CLI_MAX_BUFFER_BYTES,
      });
      if (result.status !== 0)
        throw new Error(`redis-cli (${commands.length} commands): exit ${result.status}: ${result.stderr.trim()}`);
      return result.stdout.replace(/\n$/, '').split('\n');
    },
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
  };
}

/** Whether a Redis answers PING on 127.0.0.1:`port`. */
function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
