import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CachedImage } from './image-cache.js';
import { decidePreconditions } from './precondition-policy.js';
import { decideRange } from './range-policy.js';

/**
 * The headers every answer about a stored file carries, whatever its status:
 * what the app's readOnly step and sendStoredFile set before deciding.
 */
const BASE_HEADERS: OutgoingHttpHeaders = { 'X-Content-Type-Options': 'nosniff', 'Accept-Ranges': 'bytes' };

/**
 * Answers a GET or HEAD of one image from its bytes in memory, exactly as
 * stored-file-response.ts answers it from the file: preconditions
 * (precondition-policy.ts) first, then Range (range-policy.ts); 412 and
 * 416 bare, 304 with the validators and caching but not the type, HEAD
 * with the headers of the GET. Works on a bare node:http response (the
 * cache's fast path) and on express's (a miss that filled the cache).
 */
export function answerCachedImage(req: IncomingMessage, res: ServerResponse, image: CachedImage): void {
  const headers = req.headers;
  if (
    headers.range === undefined &&
    headers['if-match'] === undefined &&
    headers['if-none-match'] === undefined &&
    headers['if-modified-since'] === undefined &&
    headers['if-unmodified-since'] === undefined
  ) {
    // Most requests: no precondition, no range, so the whole image with headers built once per image.
    image.wholeHeaders ??= Object.entries({
      ...BASE_HEADERS,
      ...image.headers,
      'Content-Length': String(image.size),
    }).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined);
    for (const [name, value] of image.wholeHeaders) res.setHeader(name, value);
    res.statusCode = 200;
    res.end(req.method === 'HEAD' ? undefined : image.body);
    return;
  }
  const conditional = decidePreconditions({
    ifMatch: headers['if-match'],
    ifNoneMatch: headers['if-none-match'],
    ifModifiedSince: headers['if-modified-since'],
    ifUnmodifiedSince: headers['if-unmodified-since'],
    cacheControl: headers['cache-control'],
    etag: image.etag,
    mtimeMs: image.mtimeMs,
  });
  if (conditional.kind === 'precondition-failed') {
    bare(res, 412, {});
    return;
  }
  const range = decideRange({
    size: image.size,
    range: headers.range,
    ifRange: req.headers['if-range'] as string | undefined,
    etag: image.etag,
    mtimeMs: image.mtimeMs,
  });
  if (conditional.kind !== 'not-modified' && range.kind === 'unsatisfiable') {
    bare(res, 416, { 'Content-Range': `bytes */${image.size}` });
    return;
  }
  if (conditional.kind === 'not-modified') {
    send(res, 304, {
      ...BASE_HEADERS,
      ETag: image.etag,
      'Last-Modified': image.headers['Last-Modified'],
      'Cache-Control': image.headers['Cache-Control'],
    });
    return;
  }
  const head = req.method === 'HEAD';
  if (range.kind === 'partial') {
    const { start, end } = range;
    const partial = {
      ...BASE_HEADERS,
      ...image.headers,
      'Content-Range': `bytes ${start}-${end}/${image.size}`,
      'Content-Length': String(end - start + 1),
    };
    send(res, 206, partial, head ? undefined : image.body.subarray(start, end + 1));
    return;
  }
  send(
    res,
    200,
    { ...BASE_HEADERS, ...image.headers, 'Content-Length': String(image.size) },
    head ? undefined : image.body,
  );
}

/** A 412 or 416: no body, and nothing that lets a cache keep it. */
function bare(res: ServerResponse, status: 412 | 416, extra: OutgoingHttpHeaders): void {
  send(res, status, { ...BASE_HEADERS, ...extra, 'Cache-Control': 'no-store', 'Content-Length': '0' });
}

/** Headers set one by one (not through writeHead's object), so the access log can read Content-Length back. */
function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body?: Buffer): void {
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  res.statusCode = status;
  res.end(body);
}
