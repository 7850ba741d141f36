import express, { type Express, type Request, type Response } from 'express';
import type { accessLog } from '../core/log/access-log.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import type { StoreLayout } from '../core/store/store-layout.js';
import { notFound, plainErrorHandler, STORE_RETRY_AFTER_SECONDS } from './error-responses.js';
import type { ImageCache } from './image-cache.js';
import { FolderListings } from './listing-route.js';
import type { StoreProbe } from './store-probe.js';
import { storeRoute } from './store-route.js';
import type { WebMetrics } from './web-metrics.js';

export interface WebAppParts {
  layout: StoreLayout;
  log: JsonLogger;
  metrics: WebMetrics;
  probe: StoreProbe;
  /** The access log step (web-server.ts makes it, so the image cache's answers share it). */
  logRequest: ReturnType<typeof accessLog>;
  /** The image cache the store route fills, if it is on. */
  imageCache: ImageCache | undefined;
}

/** /healthz (and the health gauges at /metrics) answer within this, whatever the store's file system does. */
export const HEALTH_WAIT_MS = 500;

/**
 * The web node's HTTP app: the store's human tree, read-only. GET and HEAD
 * only; `/healthz` and `/metrics`; everything else is a path into the human
 * tree (store-route.ts): a file (image-file-route.ts, stored-file-response.ts)
 * or a folder's listing (listing-route.ts). Errors end as plain answers
 * (error-responses.ts); every request is one access log line.
 */
export function createWebApp(parts: WebAppParts): Express {
  const { layout, log, metrics, probe, imageCache } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(parts.logRequest);
  app.use(readOnly);
  app.get('/healthz', async (_req, res) => {
    const verdict = await probe.verdict(HEALTH_WAIT_MS);
    res.status(verdict.healthy ? 200 : 503).setHeader('Cache-Control', 'no-store');
    if (!verdict.healthy) res.setHeader('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    res.json({ status: verdict.healthy ? 'ok' : 'unhealthy', ...verdict });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType).send(await metrics.text());
  });
  const images =
    imageCache === undefined ? undefined : { cache: imageCache, onMiss: () => metrics.imageCacheMisses.inc() };
  app.use(storeRoute(layout, new FolderListings(layout.root, metrics), log, images));
  // serve-index passes on a folder that vanished between our look and its own (a store being replaced).
  app.use((_req: Request, res: Response) => notFound(res));
  app.use(plainErrorHandler(log));
  return app;
}

/** GET and HEAD only: anything else is a 405, before any route. */
function readOnly(req: Request, res: Response, next: () => void): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (req.method === 'GET' || req.method === 'HEAD') {
    next();
    return;
  }
  res
    .status(405)
    .setHeader('Allow', 'GET, HEAD')
    .type('text/plain')
    .send('405 method not allowed: this server is read-only\n');
}
