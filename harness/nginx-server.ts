import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killChild, stopChild, trackChild } from './child-processes.js';
import { freePort } from './free-port.js';
import { processTree, sumUsage } from './process-usage.js';
import type { StaticServer } from './static-server.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

/** Whether Debian's nginx (nginx-light) can be run here. */
export function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

export interface NginxServer extends StaticServer {
  port: number;
  /** nginx's error log, for a failure message. */
  errors(): Promise<string>;
}

/**
 * nginx serving a store's human tree on a free loopback port, configured as an operator putting nginx in front
 * of the store would: the peer of `image-loader web` in the bench's load scenarios and in the HTTP conformance
 * test. One worker process unless told otherwise (the web node is one event loop by default), sendfile, an access log per request (the web node
 * logs a JSON line per request), autoindex for the folders, the store's internals and dotfiles hidden (404), a
 * static /healthz, and `if_modified_since before` (RFC 9110's rule: nginx's default, `exact`, answers 304 only
 * for the very date it sent). In the foreground, in its own process group, every file of its own in `dir`.
 */
export async function startNginx(
  storeDir: string,
  dir: string,
  workerProcesses: number | 'auto' = 1,
): Promise<NginxServer> {
  const port = await freePort();
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'temp'), { recursive: true });
  const config = join(prefix, 'nginx.conf');
  const errorLog = join(prefix, 'error.log');
  writeFileSync(
    config,
    `worker_processes ${workerProcesses};
# Scratch folders are private to their owner (mkdtemp): nginx's workers must be that user to read the store.
user ${process.getuid?.() === 0 ? 'root' : 'nobody'};
pid ${join(prefix, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 4096; }
http {
  types { image/jpeg jpg jpeg; image/png png; image/gif gif; image/webp webp; image/avif avif; }
  default_type application/octet-stream;
  access_log ${join(prefix, 'access.log')};
  sendfile on;
  tcp_nopush on;
  # Node's server has no per-connection request limit; nginx's default of 1000 would make wrk reconnect.
  keepalive_requests 100000000;
  keepalive_timeout 65s;
  if_modified_since before;
  client_body_temp_path ${join(prefix, 'temp', 'body')};
  proxy_temp_path ${join(prefix, 'temp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'temp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'temp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'temp', 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${storeDir};
    autoindex on;
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
    location ~ /\\. { return 404; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', config, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: 'ignore',
    detached: true,
  });
  trackChild(child);
  const url = `http://127.0.0.1:${port}`;
  const errors = (): Promise<string> => readFile(errorLog, 'utf8').catch(() => '');
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const answered = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      killChild(child);
      throw new Error(`nginx did not start on port ${port}: ${await errors()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    errors,
    usage: () => (child.pid === undefined ? undefined : sumUsage(processTree(child.pid))),
    stop: () => stopChild(child, STOP_TIMEOUT_MS),
  };
}
