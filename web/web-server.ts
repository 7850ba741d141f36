import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { JsonLogger } from '../core/log/json-logger.js';
import { closeAll } from '../core/service/close-all.js';
import { StoreLayout } from '../core/store/store-layout.js';
import { StoreProbe } from './store-probe.js';
import { StoreUsageReader } from './store-usage-reader.js';
import { createWebApp } from './web-app.js';
import { WebMetrics } from './web-metrics.js';

export interface WebServerOptions {
  store: string;
  host: string;
  port: number;
  staleFactor: number;
  /** The round interval to assume when the store has no heartbeat. */
  everyMs: number;
  log: JsonLogger;
  /** Registries exported beside the web node's at /metrics (`fetch --serve`: its round and download metrics). */
  otherMetrics?: Registry[] | undefined;
}

export interface WebServer {
  /** The port actually listened on (useful with port 0). */
  port: number;
  /** Stops listening; requests in progress get `graceMs` (default 0) to finish, then their connections are closed. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves a store read-only: `image-loader web` on every web node, and
 * `fetch --serve` on one machine. Opens nothing for writing, creates
 * nothing: the store may be a read-only mount, or missing (then /healthz
 * says so, and the server waits for it).
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const layout = new StoreLayout(options.store);
  const probe = new StoreProbe(
    layout,
    { intervalMs: 5_000, timeoutMs: 1_000, staleFactor: options.staleFactor, defaultEveryMs: options.everyMs },
    options.log,
  );
  probe.start();
  const usage = new StoreUsageReader(layout);
  const app = createWebApp({
    layout,
    log: options.log,
    metrics: new WebMetrics(() => usage.read(), options.otherMetrics),
    probe,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port, options.host, () => resolve(listening));
    listening.once('error', reject);
  });
  // Keep-alive longer than common load balancers' idle timeouts, so they never reuse a connection we just closed.
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  options.log.info('web server listening', { address: options.host, port, store: layout.root });
  return {
    port,
    close: async (graceMs = 0) => {
      probe.stop();
      server.closeIdleConnections();
      await closeAll(
        [
          {
            name: 'http server',
            close: () => new Promise<void>((resolve) => server.close(() => resolve())),
            force: () => server.closeAllConnections(),
          },
        ],
        graceMs,
        options.log,
      );
    },
  };
}
