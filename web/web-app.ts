import { realpath, stat } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { extname, join, sep } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import serveIndex from 'serve-index';
import { IMAGE_TYPES } from '../core/image/image-types.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import type { StoreLayout } from '../core/store/store-layout.js';
import { type FolderListing, negotiateListingView, renderGallery, renderServeIndex } from './folder-listing.js';
import { folderVersion, ListingCache } from './listing-cache.js';
import { parseRequestPath } from './request-path.js';
import type { StoreProbe } from './store-probe.js';
import { sendStoredFile } from './stored-file-response.js';
import type { WebMetrics } from './web-metrics.js';

export interface WebAppParts {
  layout: StoreLayout;
  log: JsonLogger;
  metrics: WebMetrics;
  probe: StoreProbe;
}

const CONTENT_TYPES = new Map<string, string>(
  Object.values(IMAGE_TYPES).flatMap((type) => type.aliases.map((alias) => [`.${alias}`, type.contentType] as const)),
);

// Human names change from round to round (a name is renamed onto a new image): caches may keep a copy for a
// minute, then must ask again; the strong ETag makes that a cheap 304.
const HUMAN_TREE_CACHE_CONTROL = 'public, max-age=60, must-revalidate';
// An SVG (stored only with --allow-svg) may carry scripts: served as an image in a sandbox, it cannot run them.
const SVG_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";
/** /healthz answers within this, whatever the store's file system does. */
const HEALTH_WAIT_MS = 500;

/**
 * The web node's HTTP app: the store's human tree, read-only. GET and HEAD
 * only; `/healthz` and `/metrics`; everything else is a path into the
 * human tree, checked (parseRequestPath, then the real path for symlinks)
 * before it is served: a file with its image type, a strong ETag and Range
 * support, a folder as a serve-index listing (HTML or JSON) or a gallery.
 */
export function createWebApp(parts: WebAppParts): Express {
  const { layout, log, metrics, probe } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const startedAt = process.hrtime.bigint();
    // 'close' rather than 'finish': a response the client cut off is logged too, as aborted.
    res.once('close', () => {
      const aborted = !res.writableFinished;
      // An aborted response's bytes are unknown (some may sit in the socket's buffers): counted as none.
      const bytes = req.method === 'HEAD' || aborted ? 0 : Number(res.getHeader('content-length') ?? 0);
      metrics.requests.inc({ method: req.method, status: String(res.statusCode) });
      metrics.bytesSent.inc(bytes);
      const error = res.locals.storeError as string | undefined;
      log.info('request', {
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        bytes,
        ms: Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000,
        remote: req.socket.remoteAddress,
        ...(aborted ? { aborted } : {}),
        ...(error === undefined ? {} : { error }),
      });
    });
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .status(405)
        .setHeader('Allow', 'GET, HEAD')
        .type('text/plain')
        .send('405 method not allowed: this server is read-only\n');
      return;
    }
    next();
  });

  app.get('/healthz', async (_req, res) => {
    const verdict = await probe.verdict(HEALTH_WAIT_MS);
    metrics.storeHealthy.set(verdict.healthy ? 1 : 0);
    if (verdict.storeAgeMs !== undefined) metrics.storeAge.set(verdict.storeAgeMs / 1000);
    res
      .status(verdict.healthy ? 200 : 503)
      .setHeader('Cache-Control', 'no-store')
      .json({ status: verdict.healthy ? 'ok' : 'unhealthy', ...verdict });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType).send(await metrics.text());
  });

  const listing = serveIndex(layout.root, { view: 'details', hidden: false, icons: false });
  const listings = new ListingCache<FolderListing>({
    sizeOf: (page) => (page.kind === 'page' ? page.body.length : undefined),
    onBytes: (bytes) => metrics.listingCacheBytes.set(bytes),
  });

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    // Before the folder is looked at: a listing rendered from then on shows every change made before this request.
    const arrival = listings.tick();
    const [pathname = '/', query = ''] = req.originalUrl.split(/\?(.*)/s);
    const parsed = parseRequestPath(pathname);
    if (!parsed.ok) {
      res.status(parsed.status).type('text/plain').send(`${parsed.status} ${parsed.reason}\n`);
      return;
    }
    // Resolved on every request, never kept: an operator may swap the store under a running node (a symlink
    // moved to a restored copy, a remount), and a root remembered from before would refuse every file of the new one.
    let realRoot: string;
    try {
      realRoot = await realpath(layout.root);
    } catch (error) {
      // The store itself is not there (not mounted, moved away) or not readable: the server's fault, not a missing
      // image. A 404 would be cached by browsers and CDNs as "this image does not exist".
      storeUnavailable(res, error);
      return;
    }
    const absolute = join(layout.root, ...parsed.segments);
    try {
      const real = await realpath(absolute);
      // A symlink (planted by hand: the store makes none) must not lead outside the human tree.
      const inside =
        real === realRoot ||
        (real.startsWith(realRoot + sep) && !real.startsWith(join(realRoot, '.image-loader') + sep));
      if (!inside) {
        res.status(404).type('text/plain').send('404 not found\n');
        return;
      }
      const info = await stat(real);
      if (info.isDirectory()) {
        if (!parsed.trailingSlash && parsed.segments.length > 0) {
          res.redirect(301, `${pathname}/${query === '' ? '' : `?${query}`}`);
          return;
        }
        const view = new URLSearchParams(query).get('view') === 'gallery' ? 'gallery' : negotiateListingView(req);
        if (view === undefined) {
          // Nothing serve-index offers is acceptable: its 406, uncached.
          res.setHeader('Cache-Control', 'no-cache');
          listing(req, res, next);
          return;
        }
        // The key is the folder as the page shows it (serve-index prints the decoded URL path) and the answer's type.
        const page = await listings.get(
          `${view} ${decodeURIComponent(pathname)}`,
          { tick: arrival, version: folderVersion(info) },
          () => {
            metrics.listingRenders.inc({ view });
            return view === 'gallery'
              ? renderGallery(real, parsed.segments.join('/'))
              : renderServeIndex(listing, pathname, view);
          },
        );
        if (page.kind === 'pass') next(page.error);
        else if (page.view === 'gallery') res.type('html').setHeader('Cache-Control', 'no-cache').send(page.body);
        else {
          // As serve-index answers (its `send`), with the web node's Cache-Control first.
          res.setHeader('Cache-Control', 'no-cache');
          res.setHeader('Content-Type', page.contentType);
          res.setHeader('Content-Length', page.body.length);
          res.end(page.body);
        }
        return;
      }
      if (!info.isFile()) {
        res.status(404).type('text/plain').send('404 not found\n');
        return;
      }
      const extension = extname(real).toLowerCase();
      await sendStoredFile(req, res, real, {
        contentType: CONTENT_TYPES.get(extension),
        cacheControl: HUMAN_TREE_CACHE_CONTROL,
        ...(extension === '.svg' ? { extra: { 'Content-Security-Policy': SVG_POLICY } } : {}),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (res.headersSent) res.destroy();
      else if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG')
        res.status(404).type('text/plain').send('404 not found\n');
      else {
        if (code === undefined) log.error('cannot serve a request', { path: pathname, error });
        storeUnavailable(res, error);
      }
    }
  });

  // serve-index passes on a folder that vanished between our look and its own (a store being replaced).
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/plain').send('404 not found\n');
  });
  // serve-index's errors (a folder it cannot read): a plain answer. Express's own handler would send an HTML page
  // with the stack trace, and the store's paths in it, whenever NODE_ENV is not "production".
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (
      (error as NodeJS.ErrnoException).code === undefined &&
      typeof status === 'number' &&
      status >= 400 &&
      status < 500
    ) {
      res
        .status(status)
        .type('text/plain')
        .send(`${status} ${STATUS_CODES[status] ?? 'error'}\n`);
      return;
    }
    if ((error as NodeJS.ErrnoException).code === undefined)
      log.error('cannot serve a request', { path: req.originalUrl, error });
    storeUnavailable(res, error);
  });
  return app;
}

/**
 * 503 for a store that cannot be read (EACCES, EIO, ESTALE, gone): the
 * server's fault and, once an operator fixes it, a passing one, so nothing
 * may cache it. The access log line carries the code: one line a request,
 * as for any other answer.
 */
function storeUnavailable(res: Response, error: unknown): void {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  res.locals.storeError = code;
  res
    .status(503)
    .setHeader('Cache-Control', 'no-store')
    .type('text/plain')
    .send(`503 store unavailable: ${code}${ERRNO_WORDS[code] === undefined ? '' : ` (${ERRNO_WORDS[code]})`}\n`);
}

/** The codes a store's file system gives, in words, for the person reading a 503. */
const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the store is not there',
  ENOTDIR: 'the store is not a folder',
  EIO: 'input/output error',
  ESTALE: 'stale NFS file handle',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};
