import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProcessUsage } from './process-usage.js';
import type { StaticServer } from './static-server.js';
import { startUrlProcess } from './url-process.js';

const SCRIPT = fileURLToPath(new URL('./node-http-server-process.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** The plainest Node static server (node-http-server-process.ts) on the store: what Node itself costs, without express and the web node's checks. */
export async function startNodeHttpServer(storeDir: string, dir: string): Promise<StaticServer> {
  const server = await startUrlProcess(
    SCRIPT,
    ['--root', storeDir, '--log', join(dir, 'node-http-access.log')],
    START_TIMEOUT_MS,
    'node:http static server',
  );
  return {
    url: server.url,
    usage: () => (server.child.pid === undefined ? undefined : readProcessUsage(server.child.pid)),
    stop: server.close,
  };
}
