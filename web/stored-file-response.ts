import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { decidePreconditions } from './precondition-policy.js';
import { decideRange } from './range-policy.js';

export interface StoredFileHeaders {
  contentType: string | undefined;
  cacheControl: string;
  /** Extra headers (an SVG's sandbox policy). */
  extra?: Record<string, string>;
}

/**
 * Answers with one stored file, headers and body from the same open file
 * descriptor. A round renames a new version onto the name at any moment:
 * looking the name up twice (stat, then open, as `send` does) can pair the
 * old version's Content-Length and ETag with the new version's bytes, a torn
 * response. Opened once, the inode is fixed: the reader gets one version,
 * whole, even if the name moves on meanwhile. Preconditions
 * (precondition-policy.ts) are decided first, then Range (range-policy.ts).
 */
export async function sendStoredFile(
  req: Request,
  res: Response,
  path: string,
  headers: StoredFileHeaders,
): Promise<void> {
  const handle = await open(path, 'r');
  let streaming = false;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      res.status(404).type('text/plain').send('404 not found\n');
      return;
    }
    // Strong: a stored file is never modified in place (a new version is a new inode renamed onto the name),
    // so inode, size and mtime name one exact content; NFS gives every web node the server's inode numbers.
    const etag = `"${info.ino.toString(36)}-${info.size.toString(36)}-${Math.trunc(info.mtimeMs).toString(36)}"`;
    res.setHeader('Accept-Ranges', 'bytes');
    const conditional = decidePreconditions({
      ifMatch: req.get('if-match'),
      ifNoneMatch: req.get('if-none-match'),
      ifModifiedSince: req.get('if-modified-since'),
      ifUnmodifiedSince: req.get('if-unmodified-since'),
      cacheControl: req.get('cache-control'),
      etag,
      mtimeMs: info.mtimeMs,
    });
    if (conditional.kind === 'precondition-failed') {
      bareAnswer(res, 412);
      return;
    }
    const range = decideRange({
      size: info.size,
      range: req.headers.range,
      ifRange: req.get('if-range'),
      etag,
      mtimeMs: info.mtimeMs,
    });
    if (conditional.kind !== 'not-modified' && range.kind === 'unsatisfiable') {
      // No image headers: a 416 must not be stored or taken as the image (RFC 9110 §15.5.17 asks for this field).
      res.setHeader('Content-Range', `bytes */${info.size}`);
      bareAnswer(res, 416);
      return;
    }
    // The validators and caching a 200 would carry: a 304 sends them too (RFC 9110 §15.4.5), so a cache refreshes
    // what it kept; the representation's own metadata (its type) only comes with the representation.
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', info.mtime.toUTCString());
    res.setHeader('Cache-Control', headers.cacheControl);
    if (conditional.kind === 'not-modified') {
      res.status(304).end();
      return;
    }
    if (headers.contentType) res.setHeader('Content-Type', headers.contentType);
    for (const [name, value] of Object.entries(headers.extra ?? {})) res.setHeader(name, value);
    let start = 0;
    let end = info.size - 1;
    if (range.kind === 'partial') {
      ({ start, end } = range);
      res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${info.size}`);
    }
    res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
    if (req.method === 'HEAD' || end < start) {
      res.end();
      return;
    }
    streaming = true;
    await pipeline(handle.createReadStream({ start, end, autoClose: true }), res).catch(() => {
      // The client went away mid-body: nothing to answer.
    });
  } finally {
    if (!streaming) await handle.close();
  }
}

/** A 412 or 416: no body, and nothing that lets a cache keep it. */
function bareAnswer(res: Response, status: 412 | 416): void {
  res.status(status).setHeader('Cache-Control', 'no-store').setHeader('Content-Length', '0').end();
}
