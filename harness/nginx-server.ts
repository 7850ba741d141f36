import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killChild, stopChild, trackChild } from './child-processes.js';
import { freePort } from './free-port.js';
import { processTree, sumUsage } from './process-usage.js';
import type { StaticServer } from './static-server.js';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

export function nginxAvailable(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/**
 * nginx serving the store's human tree on a free loopback port: the
 * production-grade peer of `image-loader web`. One worker process, as the
 * web node is one event loop; sendfile, an access log per request (the web
 * node logs a JSON line per request), autoindex for the listings, and a
 * static /healthz. In the foreground (`daemon off`), in its own process
 * group, every file of its own in `dir`.
 */
export async function startNginx(storeDir: string, dir: string): Promise<StaticServer> {
  const port = await freePort();
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'temp'), { recursive: true });
  const config = join(prefix, 'nginx.conf');
  writeFileSync(
    config,
    `worker_processes 1;
# The bench's scratch folder is private to its owner (mkdtemp): nginx's workers must be that user to read the store.
user ${process.getuid?.() === 0 ? 'root' : 'nobody'};
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
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
  client_body_temp_path ${join(prefix, 'temp', 'body')};
  proxy_temp_path ${join(prefix, 'temp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'temp', 'fastcgi')};
  server {
    listen 127.0.0.1:${port};
    root ${storeDir};
    autoindex on;
    location = /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', config, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
    stdio: 'ignore',
    detached: true,
  });
  trackChild(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const answered = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      killChild(child);
      throw new Error(`nginx did not start on port ${port} (see ${join(prefix, 'error.log')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    usage: () => (child.pid === undefined ? undefined : sumUsage(processTree(child.pid))),
    stop: () => stopChild(child, STOP_TIMEOUT_MS),
  };
}
