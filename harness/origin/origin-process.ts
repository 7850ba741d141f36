import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Behavior, startImageOrigin } from './image-origin.js';
import {
  benchImage,
  describeSizes,
  FLOOR_PATH,
  floorHead,
  imageBytes,
  parseImagePath,
  type SizeSpread,
} from './image-set.js';
import type { OriginCounters } from './origin-client.js';

/**
 * The benchmark's synthetic origin, in its own process so the client under
 * test never shares an event loop with it. Serves `--count` images of
 * `--bytes` bytes (or sizes spread from there by `--spread`, a SizeSpread as
 * JSON) at /img/NNNNNN.jpg with `--latency-ms` before every answer,
 * ETag/Last-Modified/304, and optionally `--cache-control`; `--floor-bytes`
 * adds one streamed file of that size at FLOOR_PATH. Prints `{"url":...}` on
 * stdout once listening; exits when its stdin closes (the bench died) or on
 * SIGTERM.
 *
 * Control paths, not counted as requests:
 *   GET /__reset  zeroes the counters (between runs)
 *   GET /__stats  the counters as JSON (OriginCounters)
 */
const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    bytes: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    'cache-control': { type: 'string' },
    'floor-bytes': { type: 'string', default: '0' },
    spread: { type: 'string' },
  },
});
const count = Number(values.count);
const bytes = Number(values.bytes);
const latencyMs = Number(values['latency-ms']);
const floorBytes = Number(values['floor-bytes']);
const spread = values.spread === undefined ? undefined : (JSON.parse(values.spread) as SizeSpread);
if (
  ![count, bytes, latencyMs, floorBytes].every((n) => Number.isInteger(n) && n >= 0) ||
  bytes < 16 ||
  (spread !== undefined && !(spread.maxBytes >= bytes))
) {
  process.stderr.write(
    "origin-process: --count, --bytes (>= 16), --latency-ms and --floor-bytes must be non-negative integers, and --spread's maxBytes at least --bytes\n",
  );
  process.exit(2);
}

const progressEvery = Math.max(1, Math.ceil(count / 10));
const started = Date.now();
const images: Buffer[] = [];
const etags: string[] = [];
for (let index = 0; index < count; index++) {
  const body = benchImage(index, imageBytes(index, bytes, spread));
  images.push(body);
  etags.push(`"${createHash('sha1').update(body).digest('hex')}"`);
  if ((index + 1) % progressEvery === 0) process.stderr.write(`  origin: generated ${index + 1}/${count} images\n`);
}
// Same value image-origin.ts sends for a body of this length.
const lastModifiedMs = Date.UTC(2026, 0, 1) + bytes * 1000;
const lastModified = new Date(lastModifiedMs).toUTCString();
const cacheHeaders: Record<string, string> = values['cache-control']
  ? { 'cache-control': values['cache-control'] }
  : {};
const head = floorBytes > 0 ? floorHead() : Buffer.alloc(0);

const origin = await startImageOrigin({ latencyMs });
let controlRequests = 0;
let sinceModified304 = 0;

origin.fallback((path): Behavior | undefined => {
  if (path === '/__reset') {
    origin.resetStats();
    origin.stats.inFlight = 1; // this request, counted in before the reset
    controlRequests = 0;
    sinceModified304 = 0;
    return { kind: 'status', status: 204 };
  }
  if (path === '/__stats') {
    controlRequests++;
    const counters: OriginCounters = {
      requests: origin.stats.requests - controlRequests,
      bodyBytes: origin.stats.bodyBytes,
      notModified: origin.stats.notModified + sinceModified304,
      maxInFlight: origin.stats.maxInFlight,
    };
    return {
      kind: 'status',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(counters),
    };
  }
  if (path === FLOOR_PATH && floorBytes > 0) return { kind: 'stream', head, length: floorBytes, declareLength: true };
  const index = parseImagePath(path);
  if (index === undefined || index >= count) return undefined;

  // The test origin answers If-Modified-Since only on an exact string match
  // without an ETag; aria2c --conditional-get sends its file's mtime and no
  // If-None-Match, so judge that case here as RFC 9110 §13.1.3 says. The
  // origin records a request's headers just before asking this resolver.
  const request = origin.stats.lastHeaders.get(path);
  const since = request?.['if-modified-since'];
  if (request?.['if-none-match'] === undefined && since !== undefined && Date.parse(since) >= lastModifiedMs) {
    sinceModified304++;
    return {
      kind: 'status',
      status: 304,
      headers: { etag: etags[index]!, 'last-modified': lastModified, ...cacheHeaders },
    };
  }
  return { kind: 'image', body: images[index]!, contentType: 'image/jpeg', headers: cacheHeaders };
});

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  void origin.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.resume();

process.stderr.write(
  `  origin: ${count} images of ${describeSizes(bytes, spread)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${origin.url}\n`,
);
process.stdout.write(`${JSON.stringify({ url: origin.url })}\n`);
