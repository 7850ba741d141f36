import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';

/** A real `redis-server` (the Debian package) on a free loopback port, in its own directory. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops it: SIGTERM (Redis saves its AOF and exits) or SIGKILL. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and directory (with AOF, the data comes back). */
  start(): Promise<void>;
  /** One command through redis-cli (tests only read with it). */
  cli(...args: string[]): string;
}

export interface RedisServerOptions {
  dir: string;
  appendonly?: boolean;
  maxmemoryPolicy?: string;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
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
    options.appendonly === false ? 'no' : 'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    options.maxmemoryPolicy ?? 'noeviction',
    '--logfile',
    join(options.dir, 'redis.log'),
    '--daemonize',
    'no',
  ];
  const start = async (): Promise<void> => {
    child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(await pingRedis(port))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server did not start on port ${port}: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async (signal = 'SIGTERM') => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(signal);
      await exited;
    },
    cli: (...command: string[]) => {
      const result = spawnSync('redis-cli', ['-p', String(port), '--no-raw', ...command], { encoding: 'utf8' });
      return result.stdout.trim();
    },
  };
}

/** A TCP port free on 127.0.0.1 right now (the bench uses it too). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING on 127.0.0.1:`port`. */
export function pingRedis(port: number): Promise<boolean> {
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
