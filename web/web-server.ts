import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { accessLog } from '../core/log/access-log.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import { closeAll, httpServerClosable } from '../core/service/close-all.js';
import { listen } from '../core/service/listen.js';
import { StoreLayout } from '../core/store/store-layout.js';
import { cachedImageListener } from './cached-image-listener.js';
import { ImageCache } from './image-cache.js';
import { StoreProbe } from './store-probe.js';
import { StoreUsageReader } from './store-usage-reader.js';
import { createWebApp, HEALTH_WAIT_MS } from './web-app.js';
import { WebMetrics } from './web-metrics.js';

export interface WebServerOptions {
  store: string;
  host: string;
  port: number;
  staleFactor: number;
  /** The round interval to assume when the store has no heartbeat. */
  everyMs: number;
  /** Bytes of small images kept in memory (image-cache.ts); 0 turns the cache off. */
  cacheSize: number;
  /** How long a cached image is served without a stat of its name (cached-image-listener.ts). */
  cacheRecheckMs: number;
  log: JsonLogger;
  /** Where the access log lines go (a batching logger); `log` when absent. */
  accessLog?: JsonLogger;
  /** A worker of `web --workers N`: /metrics answers the sum over all workers (cluster-metrics.ts). */
  clustered?: boolean;
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
  const imageCache = options.cacheSize > 0 ? new ImageCache(options.cacheSize) : undefined;
  const metrics = new WebMetrics({
    storeUsage: () => usage.read(),
    storeVerdict: () => probe.verdict(HEALTH_WAIT_MS),
    ...(imageCache === undefined ? {} : { imageCacheBytes: () => imageCache.bytes }),
    others: options.otherMetrics,
    clustered: options.clustered,
  });
  const logRequest = accessLog(options.accessLog ?? options.log, (record) => {
    metrics.requests.inc({ method: record.method, status: String(record.status) });
    metrics.bytesSent.inc(record.bytes);
  });
  const app = createWebApp({ layout, log: options.log, metrics, probe, logRequest, imageCache });
  let listener: RequestListener = app;
  if (imageCache !== undefined) {
    listener = cachedImageListener({
      cache: imageCache,
      root: layout.root,
      recheckMs: options.cacheRecheckMs,
      app,
      logRequest,
      onHit: () => metrics.imageCacheHits.inc(),
    });
  }
  const server: Server = createServer(listener);
  await listen(server, options.host, options.port);
  // Keep-alive longer than common load balancers' idle timeouts, so they never reuse a connection we just closed.
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  options.log.info('web server listening', { address: options.host, port, store: layout.root });
  return {
    port,
    close: async (graceMs = 0) => {
      probe.stop();
      imageCache?.clear();
      await closeAll([httpServerClosable(server)], graceMs, options.log);
    },
  };
}
