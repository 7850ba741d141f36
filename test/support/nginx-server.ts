import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './redis-server.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

/** Whether Debian's nginx (nginx-light) can be run here. */
export function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

export interface NginxServer {
  port: number;
  /** nginx's error log, for a failure message. */
  errors(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * nginx serving a store's human tree on a free loopback port, configured as
 * an operator putting nginx in front of the store would: autoindex for the
 * folders, the store's internals and dotfiles hidden (404), the image
 * types, and `if_modified_since before` (RFC 9110's rule: nginx's default,
 * `exact`, answers 304 only for the very date it sent). In the foreground,
 * every file of its own in `dir`.
 */
export async function startNginx(store: string, dir: string): Promise<NginxServer> {
  const port = await freePort();
  const prefix = join(dir, 'nginx');
  await mkdir(join(prefix, 'temp'), { recursive: true });
  const config = join(prefix, 'nginx.conf');
  const errorLog = join(prefix, 'error.log');
  await writeFile(
    config,
    `worker_processes 1;
# The scratch folder is private to its owner (mkdtemp): nginx's worker must be that user to read the store.
user ${process.getuid?.() === 0 ? 'root' : 'nobody'};
pid ${join(prefix, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 64; }
http {
  types { image/jpeg jpg jpeg; image/png png; image/gif gif; image/webp webp; image/avif avif; }
  default_type application/octet-stream;
  access_log off;
  if_modified_since before;
  client_body_temp_path ${join(prefix, 'temp', 'body')};
  proxy_temp_path ${join(prefix, 'temp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'temp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'temp', 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${store};
    autoindex on;
    location ~ /\\. { return 404; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', config, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: 'ignore',
    detached: true,
  });
  const stop = () => stopChild(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const answered = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.status > 0,
      () => false,
    );
    if (answered) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start on port ${port}: ${await readFile(errorLog, 'utf8').catch(() => '')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, errors: () => readFile(errorLog, 'utf8').catch(() => ''), stop };
}

/** SIGQUIT (nginx's graceful stop) to its process group, SIGKILL after the stop timeout. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid, 'SIGQUIT');
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
