import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import type { JsonLogger } from '../core/log/json-logger.js';
import type { StoreLayout } from '../core/store/store-layout.js';
import { notFound, storeUnavailable } from './error-responses.js';
import type { ImageCache } from './image-cache.js';
import { serveImageFile } from './image-file-route.js';
import type { FolderListings } from './listing-route.js';
import { imageCacheKey, parseRequestPath, splitRequestTarget } from './request-path.js';

/**
 * Every path that is not a route of its own: a path into the human tree,
 * checked (splitRequestTarget and parseRequestPath, then the real path for
 * symlinks) before it is served: a file through serveImageFile, a folder
 * through its listings. A file asked for as a folder (`img.png/`) is a 404,
 * as nginx answers: one URL per image, and relative links that resolve.
 * With `images`, a small image served is kept in that cache under its
 * checked path, where cached-image-listener.ts finds it.
 */
export function storeRoute(
  layout: StoreLayout,
  listings: FolderListings,
  log: JsonLogger,
  images?: { cache: ImageCache; onMiss(): void },
) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const arrival = listings.tick();
    const target = splitRequestTarget(req.originalUrl);
    if (!target.ok) {
      res.status(400).type('text/plain').send(`400 ${target.reason}\n`);
      return;
    }
    const { pathname, query } = target;
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
    try {
      const real = await realpath(join(layout.root, ...parsed.segments));
      // A symlink (planted by hand: the store makes none) must not lead outside the human tree.
      const inside =
        real === realRoot ||
        (real.startsWith(realRoot + sep) && !real.startsWith(join(realRoot, '.image-loader') + sep));
      if (!inside) return notFound(res);
      const info = await stat(real);
      if (info.isDirectory()) {
        // The folder's path with doubled slashes merged: what its listing shows, and where a redirect leads.
        const canonical = pathname.replace(/\/{2,}/g, '/');
        if (!parsed.trailingSlash && parsed.segments.length > 0) {
          res.redirect(301, `${canonical}/${query === '' ? '' : `?${query}`}`);
          return;
        }
        await listings.answer(req, res, next, {
          real,
          info,
          pathname: canonical,
          query,
          segments: parsed.segments,
          arrival,
        });
        return;
      }
      if (!info.isFile() || parsed.trailingSlash) return notFound(res);
      await serveImageFile(
        req,
        res,
        real,
        images === undefined ? undefined : { ...images, key: imageCacheKey(parsed.segments) },
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (res.headersSent) res.destroy();
      else if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') notFound(res);
      else {
        if (code === undefined) log.error('cannot serve a request', { path: pathname, error });
        storeUnavailable(res, error);
      }
    }
  };
}
