import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { answerBare, answerCachedImage } from './cached-image-response.js';
import { decideFileAnswer } from './file-answer-policy.js';
import type { CachedImage, ImageCache } from './image-cache.js';

export interface StoredFileHeaders {
  contentType: string | undefined;
  cacheControl: string;
  /** Extra headers (an SVG's sandbox policy). */
  extra?: Record<string, string>;
}

/** Where a file read whole may be kept (image-cache.ts), under which request path, and what to count. */
export interface CacheFill {
  cache: ImageCache;
  key: string;
  /** Called once for every answer that had to read the store. */
  onMiss(): void;
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
  fill?: CacheFill,
): Promise<void> {
  // The version the descriptor holds was the name's no later than this: when a kept copy was last known current.
  const openedAtMs = performance.now();
  const handle = await open(path, 'r');
  let streaming = false;
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      res.status(404).type('text/plain').send('404 not found\n');
      return;
    }
    const etag = storedFileEtag(info);
    if (fill !== undefined) {
      fill.onMiss();
      // A GET of a small image reads it whole, from this same descriptor, and keeps it: the next request for its name
      // is answered from memory (cached-image-listener.ts) once its name is seen to lead to this very inode.
      if (req.method === 'GET' && fill.cache.accepts(info.size)) {
        const image = await readWhole(handle, info, etag, headers, openedAtMs);
        fill.cache.set(fill.key, image);
        answerCachedImage(req, res, image);
        return;
      }
    }
    res.setHeader('Accept-Ranges', 'bytes');
    const answer = decideFileAnswer(req.headers, { etag, mtimeMs: info.mtimeMs, size: info.size });
    if (answer.status === 412 || answer.status === 416) {
      answerBare(res, answer.status, info.size);
      return;
    }
    const { validators, representation } = versionHeaders(info, etag, headers);
    for (const [name, value] of Object.entries(validators)) res.setHeader(name, value);
    if (answer.status === 304) {
      res.status(304).end();
      return;
    }
    for (const [name, value] of Object.entries(representation)) res.setHeader(name, value);
    let start = 0;
    let end = info.size - 1;
    if (answer.status === 206) {
      ({ start, end } = answer);
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

/**
 * Strong: a stored file is never modified in place (a new version is a new inode renamed onto the name), so inode,
 * size and mtime name one exact content; NFS gives every web node the server's inode numbers.
 */
function storedFileEtag(info: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>): string {
  return `"${info.ino.toString(36)}-${info.size.toString(36)}-${Math.trunc(info.mtimeMs).toString(36)}"`;
}

/**
 * The headers of one stored version, from the file or from memory. The validators and caching go on a 304 too
 * (RFC 9110 §15.4.5), so a cache refreshes what it kept; the representation's own metadata (its type, an SVG's
 * sandbox policy) only comes with the representation.
 */
function versionHeaders(
  info: Pick<Stats, 'mtime'>,
  etag: string,
  headers: StoredFileHeaders,
): { validators: Record<string, string>; representation: Record<string, string> } {
  return {
    validators: { ETag: etag, 'Last-Modified': info.mtime.toUTCString(), 'Cache-Control': headers.cacheControl },
    representation: { ...(headers.contentType ? { 'Content-Type': headers.contentType } : {}), ...headers.extra },
  };
}

/** A whole file as a cached image: bytes and headers from one descriptor, so they describe one version. */
async function readWhole(
  handle: FileHandle,
  info: Stats,
  etag: string,
  headers: StoredFileHeaders,
  openedAtMs: number,
): Promise<CachedImage> {
  const { validators, representation } = versionHeaders(info, etag, headers);
  // Its own memory, not a slice of Buffer's shared pool: a kept 1 KB slice would pin the pool's 8 KB.
  const body = Buffer.allocUnsafeSlow(info.size);
  let filled = 0;
  while (filled < info.size) {
    const { bytesRead } = await handle.read(body, filled, info.size - filled, filled);
    if (bytesRead === 0) throw new Error(`a stored file shrank while read: ${filled} of ${info.size} bytes`);
    filled += bytesRead;
  }
  return {
    ino: info.ino,
    size: info.size,
    mtimeMs: info.mtimeMs,
    body,
    etag,
    headers: { ...representation, ...validators },
    checkedAtMs: openedAtMs,
  };
}
