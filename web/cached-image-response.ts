import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { asksForWhole, decideFileAnswer, type FileAnswer } from './file-answer-policy.js';
import type { CachedImage } from './image-cache.js';

/**
 * The headers every answer about a stored file carries, whatever its status:
 * what the app's readOnly step and sendStoredFile set before deciding.
 */
const BASE_HEADERS: OutgoingHttpHeaders = { 'X-Content-Type-Options': 'nosniff', 'Accept-Ranges': 'bytes' };

/**
 * Answers a GET or HEAD of one image from its bytes in memory, exactly as
 * stored-file-response.ts answers it from the file (decideFileAnswer); 412
 * and 416 bare, 304 with the validators and caching but not the type, HEAD
 * with the headers of the GET. Works on a bare node:http response (the
 * cache's fast path) and on express's (a miss that filled the cache).
 */
export function answerCachedImage(req: IncomingMessage, res: ServerResponse, image: CachedImage): void {
  const head = req.method === 'HEAD';
  // Most requests ask nothing of the version: the deciders are skipped, the headers built once per image.
  const answer = asksForWhole(req.headers) ? WHOLE : decideFileAnswer(req.headers, image);
  switch (answer.status) {
    case 200:
      image.wholeHeaders ??= Object.entries({
        ...BASE_HEADERS,
        ...image.headers,
        'Content-Length': String(image.size),
      }).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined);
      for (const [name, value] of image.wholeHeaders) res.setHeader(name, value);
      res.statusCode = 200;
      res.end(head ? undefined : image.body);
      return;
    case 412:
    case 416:
      answerBare(res, answer.status, image.size);
      return;
    case 304:
      send(res, 304, {
        ...BASE_HEADERS,
        ETag: image.etag,
        'Last-Modified': image.headers['Last-Modified'],
        'Cache-Control': image.headers['Cache-Control'],
      });
      return;
    case 206: {
      const { start, end } = answer;
      const partial = {
        ...BASE_HEADERS,
        ...image.headers,
        'Content-Range': `bytes ${start}-${end}/${image.size}`,
        'Content-Length': String(end - start + 1),
      };
      send(res, 206, partial, head ? undefined : image.body.subarray(start, end + 1));
    }
  }
}

const WHOLE: FileAnswer = { status: 200 };

/**
 * A 412 or 416, from memory or from the file: no body, none of the image's headers, nothing that lets a cache keep
 * it; a 416 says the file's length (RFC 9110 §15.5.17).
 */
export function answerBare(res: ServerResponse, status: 412 | 416, size: number): void {
  send(res, status, {
    ...BASE_HEADERS,
    ...(status === 416 ? { 'Content-Range': `bytes */${size}` } : {}),
    'Cache-Control': 'no-store',
    'Content-Length': '0',
  });
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
