import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The machine and tool versions a set of figures was measured with. */
export interface Environment {
  date: string;
  nproc: string;
  cpu: string;
  memoryGib: number;
  kernel: string;
  node: string;
  curl: string;
  aria2c: string;
  /** `redis-server --version`, for the fleet scenarios. */
  redis: string;
  /** `wrk -v` and `nginx -v`, for the web-load scenario. */
  wrk: string;
  nginx: string;
  tmpdir: string;
  tmpdirFilesystem: string;
  /** `git describe --always --dirty` of the project: the code the figures belong to. */
  commit: string;
  /** 1-minute load average when the bench started: other work on the machine skews every figure. */
  loadAverage: number;
  /** The same when the bench finished (set then): a figure much higher than at the start means something else ran meanwhile. */
  loadAverageAtEnd?: number;
}

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function describeEnvironment(): Environment {
  return {
    date: new Date().toISOString(),
    nproc: firstLine('nproc', []),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGib: totalmem() / 1024 ** 3,
    kernel: release(),
    node: process.version,
    curl: firstLine('curl', ['--version']).split(' ').slice(0, 2).join(' '),
    aria2c: firstLine('aria2c', ['--version']),
    redis: firstLine('redis-server', ['--version']).split(' ').slice(0, 3).join(' '),
    wrk: versionLine('wrk', ['-v']).split(' ').slice(0, 2).join(' '),
    nginx: versionLine('nginx', ['-v']).replace(/^nginx version: /, ''),
    tmpdir: tmpdir(),
    tmpdirFilesystem: lastLine('df', ['--output=fstype', tmpdir()]),
    commit: firstLine('git', ['-C', PROJECT_ROOT, 'describe', '--always', '--dirty', '--exclude', '*']),
    loadAverage: loadavg()[0] ?? 0,
  };
}

/** Throws, naming what is missing, unless curl, aria2c and GNU time can run. */
export function checkTools(timeBinary: string): void {
  const missing = [
    ['curl', ['--version']],
    ['aria2c', ['--version']],
    [timeBinary, ['-f', '%M', 'true']],
  ].filter(
    ([command, args]) =>
      spawnSync(command as string, args as string[], { stdio: 'ignore', timeout: 10_000 }).status !== 0,
  );
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.map(([command]) => command).join(', ')}: on Debian, apt-get install -y curl aria2 time`,
    );
  }
}

/** Throws unless redis-server and redis-cli can run (the fleet scenarios start their own Redis). */
export function checkRedisTools(): void {
  const missing = ['redis-server', 'redis-cli'].filter(
    (command) => spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status !== 0,
  );
  if (missing.length > 0)
    throw new Error(
      `missing ${missing.join(', ')}: on Debian, apt-get install -y redis-server (the fleet scenarios start their own on 127.0.0.1)`,
    );
}

/** Throws, with the command that installs it, unless wrk can run (the web-load scenario drives the web node with it). */
export function checkLoadTools(): void {
  if (versionLine('wrk', ['-v']) === 'unknown')
    throw new Error(
      'missing wrk: on Debian, apt-get install -y wrk (the web-load scenario loads the web node with it; nginx, its peer, is optional: apt-get install -y nginx-light)',
    );
}

/** The first line a command prints on stdout or stderr, whatever its exit code (`wrk -v` exits 1, `nginx -v` writes to stderr); 'unknown' when it cannot run. */
function versionLine(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.error !== undefined) return 'unknown';
  return ((result.stdout || result.stderr).split('\n')[0] ?? '').trim() || 'unknown';
}

function lastLine(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? (result.stdout.trim().split('\n').pop() ?? '').trim() : 'unknown';
}

function firstLine(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? (result.stdout.split('\n')[0] ?? '').trim() : 'unknown';
}
