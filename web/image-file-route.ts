import { extname } from 'node:path';
import type { Request, Response } from 'express';
import { IMAGE_TYPES } from '../core/image/image-types.js';
import { type CacheFill, sendStoredFile } from './stored-file-response.js';

const CONTENT_TYPES = new Map<string, string>(
  Object.values(IMAGE_TYPES).flatMap((type) => type.aliases.map((alias) => [`.${alias}`, type.contentType] as const)),
);

// Human names change from round to round (a name is renamed onto a new image): caches may keep a copy for a
// minute, then must ask again; the strong ETag makes that a cheap 304.
const HUMAN_TREE_CACHE_CONTROL = 'public, max-age=60, must-revalidate';
// An SVG (stored only with --allow-svg) may carry scripts: served as an image in a sandbox, it cannot run them.
const SVG_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/**
 * Serves one image of the human tree (`real`: its checked real path): its
 * type from the extension the store gave it, the human tree's caching, an
 * SVG's sandbox. The web node's hot path: everything else about the answer
 * is stored-file-response.ts, which may keep the image in `fill`'s cache.
 */
export function serveImageFile(req: Request, res: Response, real: string, fill?: CacheFill): Promise<void> {
  const extension = extname(real).toLowerCase();
  return sendStoredFile(
    req,
    res,
    real,
    {
      contentType: CONTENT_TYPES.get(extension),
      cacheControl: HUMAN_TREE_CACHE_CONTROL,
      ...(extension === '.svg' ? { extra: { 'Content-Security-Policy': SVG_POLICY } } : {}),
    },
    fill,
  );
}
