import { startFleetService } from '../harness/fleet-service.js';
import { startNginx } from '../harness/nginx-server.js';
import { startNodeHttpServer } from '../harness/node-http-server.js';
import type { StaticServer } from '../harness/static-server.js';
import { webArgs } from './fleet-commands.js';

/** `image-loader web`, and the peers it is compared with under the same load. */
export type LoadServerKind = 'image-loader' | 'image-loader-packaged' | 'nginx' | 'nginx-auto' | 'node-http';

/** A static server on 127.0.0.1 serving a store's human tree, as the load scenario drives it. */
export interface LoadServer extends StaticServer {
  kind: LoadServerKind;
}

export const LOAD_SERVER_LABELS: Record<LoadServerKind, string> = {
  'image-loader': 'image-loader web',
  'image-loader-packaged': 'image-loader web as packaged (--workers auto --cache-recheck 1s)',
  nginx: 'nginx (1 worker process)',
  'nginx-auto': 'nginx (worker_processes auto)',
  'node-http': 'node:http static server',
};

const WEB_START_TIMEOUT_MS = 30_000;
const WEB_STOP_TIMEOUT_MS = 10_000;

/** Starts one server on the store, its logs and files in `dir`, and waits until it answers. */
export async function startLoadServer(kind: LoadServerKind, storeDir: string, dir: string): Promise<LoadServer> {
  switch (kind) {
    case 'image-loader':
    case 'image-loader-packaged': {
      // As the package's web.env sets them.
      const extra = kind === 'image-loader' ? [] : ['--workers', 'auto', '--cache-recheck', '1s'];
      const web = startFleetService([...webArgs(storeDir), ...extra], dir, 'web');
      try {
        const listening = await web.waitForLog(
          (line) => line.msg === 'web server listening',
          WEB_START_TIMEOUT_MS,
          '"web server listening" line',
        );
        return {
          kind,
          url: `http://127.0.0.1:${String(listening.port)}`,
          usage: () => web.usage(),
          stop: async () => void (await web.stop(WEB_STOP_TIMEOUT_MS)),
        };
      } catch (error) {
        await web.stop(WEB_STOP_TIMEOUT_MS);
        throw error;
      }
    }
    case 'nginx':
      return { kind, ...(await startNginx(storeDir, dir)) };
    case 'nginx-auto':
      return { kind, ...(await startNginx(storeDir, dir, 'auto')) };
    case 'node-http':
      return { kind, ...(await startNodeHttpServer(storeDir, dir)) };
  }
}
