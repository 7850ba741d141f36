import { stat } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { answerCachedImage } from './cached-image-response.js';
import type { CachedImage, ImageCache } from './image-cache.js';
import { cachedImageKeyOf } from './request-path.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface CachedImageListenerParts {
  cache: ImageCache;
  /** The store's root as configured (never resolved once and kept: an operator may swap it). */
  root: string;
  /** How long an entry is served without a stat of its name; 0: a stat before every answer. */
  recheckMs: number;
  /** Everything the cache does not answer: the express app. */
  app: Listener;
  /** The app's access log step, so a cached answer is one access log line like any other. */
  logRequest: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  onHit(image: CachedImage): void;
}

/**
 * The server's request listener in front of the express app: a GET or
 * HEAD of an image kept in the cache is answered from memory, before
 * express's router; everything else goes to the app. Like nginx's
 * open_file_cache, an entry is revalidated against its name: a stat that
 * still finds the same inode, size and mtime (a new version is always a new
 * inode renamed onto the name) when it was last seen more than `recheckMs`
 * ago. A changed, missing or unreadable name drops the entry and leaves the
 * answer to the app (a new version, a 404, a 503). Entries are only made by
 * the app's store route, after its checks (traversal, dotfiles, symlinks
 * out of the tree): the cache never holds bytes from outside the tree.
 */
export function cachedImageListener(parts: CachedImageListenerParts): Listener {
  const { cache, root, recheckMs, app, logRequest, onHit } = parts;
  const answer = (req: IncomingMessage, res: ServerResponse, image: CachedImage): void => {
    onHit(image);
    logRequest(req, res, () => answerCachedImage(req, res, image));
  };
  return (req, res) => {
    if (cache.size === 0 || (req.method !== 'GET' && req.method !== 'HEAD')) return app(req, res);
    const key = cachedImageKeyOf(req.url ?? '');
    const image = key === undefined ? undefined : cache.get(key);
    if (key === undefined || image === undefined) return app(req, res);
    if (recheckMs > 0 && performance.now() - image.checkedAtMs < recheckMs) return answer(req, res, image);
    stat(join(root, key), (error, info) => {
      if (error !== null || !sameVersion(info, image)) {
        cache.delete(key);
        app(req, res);
        return;
      }
      image.checkedAtMs = performance.now();
      answer(req, res, image);
    });
  };
}

function sameVersion(info: { ino: number; size: number; mtimeMs: number; isFile(): boolean }, image: CachedImage) {
  return info.isFile() && info.ino === image.ino && info.size === image.size && info.mtimeMs === image.mtimeMs;
}
