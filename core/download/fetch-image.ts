import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { ImageType } from '../image/image-types.js';
import { sniffImageType } from '../image/sniff-image-type.js';
import type { CacheInfo } from '../store/url-metadata.js';
import { bodyReadError, classifyDownloadError } from './classify-error.js';
import { FileSink } from './file-sink.js';
import { freshUntil } from './freshness.js';
import { readChunks } from './read-chunks.js';
import { parseRetryAfter } from './retry-delay.js';
import { noteBodyBytes } from './socket-buffer-release.js';
import { type HttpAgent, request } from './undici-parts.js';

export interface FetchImageOptions {
  /** The shared undici Agent (see createHttpAgent). */
  dispatcher: HttpAgent;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Total deadline for the whole download, redirects included. */
  timeoutMs: number;
  /** At most this many redirects are followed. @defaultValue 5 */
  maxRedirects: number;
  allowSvg: boolean;
  userAgent: string;
  /** fsync each image before it is renamed into place. */
  fsync: boolean;
  /** Aborts the download (shutdown); the error is IMG_ERR_ABORTED. */
  signal?: AbortSignal | undefined;
  /**
   * Create the temp file while the request is on its way instead of after the
   * headers arrive, taking a file system round trip off each download's
   * latency. For a URL with no stored copy: a 304 cannot come, so the file is
   * wasted only when the download fails.
   */
  preopen?: boolean;
  /** Called once the whole body has arrived, before the file is closed: the network part is over. */
  onBodyReceived?: () => void;
}

/** Validators from the stored copy, sent as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

/** What the origin said about caching, kept for the next round. */
export type FetchImageResult =
  | ({ kind: 'not-modified' } & CacheInfo)
  | ({ kind: 'downloaded'; sha256: string; bytes: number; type: ImageType } & CacheInfo);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8,*/*;q=0.5';

/**
 * Downloads one URL into `tempPath` (which must not exist yet), streaming:
 * the body is sniffed, hashed and size-checked chunk by chunk on its way to
 * disk, never held whole in memory. Follows up to `maxRedirects` redirects.
 * One attempt only: failures throw an ImageLoaderError whose `retryable`
 * says whether a later attempt may succeed; retrying is the caller's
 * policy (the fetch round's backoff, or the queue's). On failure `tempPath`
 * may hold a partial file: the caller discards it.
 */
export async function fetchImage(
  url: string,
  tempPath: string,
  validators: Validators,
  options: FetchImageOptions,
): Promise<FetchImageResult> {
  // One controller for the deadline and the caller's signal. (AbortSignal.timeout and .any would do, but
  // cost a DOMException with a stack trace per download, a measurable share of a small image's CPU time.)
  const controller = new AbortController();
  let deadlineHit = false;
  const timer = setTimeout(() => {
    deadlineHit = true;
    controller.abort();
  }, options.timeoutMs);
  const stop = (): void => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const early = options.preopen ? FileSink.create(tempPath) : undefined;
  early?.catch(() => {}); // Awaited (and its error reported) when the body arrives, or closed below.
  const sink = (): Promise<FileSink> => early ?? FileSink.create(tempPath);
  try {
    if (options.signal?.aborted) controller.abort();
    const result = await fetchFollowingRedirects(url, validators, options, controller.signal, sink);
    if (result.kind === 'not-modified')
      await early?.then(
        (unused) => unused.abandon(),
        () => {},
      );
    return result;
  } catch (error) {
    await early?.then(
      (unused) => unused.abandon(),
      () => {},
    );
    if (options.signal?.aborted)
      throw new ImageLoaderError(ErrorCode.Aborted, 'download aborted (shutting down)', { url, cause: error });
    if (deadlineHit) {
      throw new ImageLoaderError(
        ErrorCode.Deadline,
        `download did not finish within ${options.timeoutMs / 1000} s (--timeout)`,
        { url, retryable: true, cause: error },
      );
    }
    throw classifyDownloadError(error, url);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
  }
}

async function fetchFollowingRedirects(
  url: string,
  validators: Validators,
  options: FetchImageOptions,
  signal: AbortSignal,
  sink: () => Promise<FileSink>,
): Promise<FetchImageResult> {
  const headers: Record<string, string> = {
    'user-agent': options.userAgent,
    accept: ACCEPT,
    'accept-encoding': 'identity',
  };
  if (validators.etag) headers['if-none-match'] = validators.etag;
  if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
  let visited: Set<string> | undefined;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const target = new URL(current);
    const response = await request(options.dispatcher, {
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'GET',
      headers,
      signal,
    });
    const status = response.statusCode;

    if (status === 200) return await saveBody(url, response, sink, options);

    if (REDIRECT_STATUSES.has(status)) {
      await discard(response.body);
      const next = redirectTarget(url, current, header(response.headers, 'location'));
      visited ??= new Set<string>([url]);
      if (visited.has(next))
        throw new ImageLoaderError(ErrorCode.RedirectLoop, `redirect loop: ${current} redirects back to ${next}`, {
          url,
        });
      if (redirects + 1 > options.maxRedirects) {
        throw new ImageLoaderError(
          ErrorCode.TooManyRedirects,
          `more than ${options.maxRedirects} redirects (last: ${current} -> ${next})`,
          { url },
        );
      }
      visited.add(next);
      current = next;
      continue;
    }

    await discard(response.body);
    if (status === 304 && (validators.etag || validators.lastModified))
      return { kind: 'not-modified', ...cacheInfo(response.headers) };
    throw statusError(url, status, response.headers);
  }
}

async function saveBody(
  url: string,
  response: Dispatcher.ResponseData,
  openSink: () => Promise<FileSink>,
  options: FetchImageOptions,
): Promise<FetchImageResult> {
  const declared = Number(header(response.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    abandon(response.body);
    throw new ImageLoaderError(
      ErrorCode.TooLarge,
      `Content-Length ${declared} bytes exceeds the limit of ${options.maxBytes} bytes (--max-bytes)`,
      { url },
    );
  }

  const hash = createHash('sha256');
  let bytes = 0;
  let type: ImageType | undefined;
  // Until the type is known, the first chunks wait here; nothing reaches the file before the sniffer agreed.
  let head: Buffer[] = [];
  const { maxBytes, allowSvg } = options;
  // Errors also reach the loop below; this listener keeps a late one (after we stopped reading) from crashing the process.
  response.body.on('error', () => {});
  const sink = await openSink();
  try {
    await readChunks(response.body, (chunk) => {
      bytes += chunk.length;
      noteBodyBytes(chunk.length);
      if (bytes > maxBytes)
        throw new ImageLoaderError(ErrorCode.TooLarge, `body exceeds the limit of ${maxBytes} bytes (--max-bytes)`, {
          url,
        });
      hash.update(chunk);
      if (type !== undefined) return sink.write(chunk);
      head.push(chunk);
      const prefix = head.length === 1 ? chunk : Buffer.concat(head);
      type = decide(url, prefix, false, allowSvg);
      if (type === undefined) return undefined;
      head = [];
      return sink.write(prefix);
    });
    if (type === undefined) {
      const prefix = Buffer.concat(head);
      type = decide(url, prefix, true, allowSvg);
      await sink.write(prefix);
    }
    options.onBodyReceived?.();
    await sink.finish(options.fsync);
  } catch (error) {
    await sink.abandon();
    throw bodyReadError(error, url, bytes, Number.isFinite(declared) ? declared : undefined);
  }
  return { kind: 'downloaded', sha256: hash.digest('hex'), bytes, type: type!, ...cacheInfo(response.headers) };
}

function decide(url: string, prefix: Buffer, complete: boolean, allowSvg: boolean): ImageType | undefined {
  const sniffed = sniffImageType(prefix, complete, { allowSvg });
  switch (sniffed.verdict) {
    case 'image':
      return sniffed.type;
    case 'need-more':
      return undefined;
    case 'svg-refused':
      throw new ImageLoaderError(
        ErrorCode.SvgNotAllowed,
        'body is SVG, which can carry scripts; refused unless --allow-svg is given',
        { url },
      );
    case 'not-image':
      throw new ImageLoaderError(
        ErrorCode.NotAnImage,
        `body is not an image (looks like ${sniffed.looksLike}); nothing stored`,
        { url },
      );
  }
}

function statusError(url: string, status: number, headers: Dispatcher.ResponseData['headers']): ImageLoaderError {
  const retryable = status >= 500 || status === 429 || status === 408;
  const retryAfterMs =
    status === 429 || status === 503 ? parseRetryAfter(header(headers, 'retry-after'), Date.now()) : undefined;
  return new ImageLoaderError(ErrorCode.HttpStatus, `server answered HTTP ${status}`, {
    url,
    status,
    retryable,
    retryAfterMs,
  });
}

function redirectTarget(url: string, current: string, location: string | undefined): string {
  if (location === undefined || location.trim() === '') {
    throw new ImageLoaderError(ErrorCode.BadRedirect, `redirect from ${current} has no Location header`, { url });
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new ImageLoaderError(
      ErrorCode.BadRedirect,
      `redirect from ${current} to an invalid Location: ${location.slice(0, 200)}`,
      { url },
    );
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new ImageLoaderError(
      ErrorCode.BadRedirect,
      `redirect from ${current} to unsupported scheme ${next.protocol}`,
      { url },
    );
  }
  if (next.username || next.password) {
    throw new ImageLoaderError(ErrorCode.BadRedirect, `redirect from ${current} to a URL with credentials`, { url });
  }
  next.hash = '';
  return next.href;
}

function cacheInfo(headers: Dispatcher.ResponseData['headers']): CacheInfo {
  return {
    etag: header(headers, 'etag'),
    lastModified: header(headers, 'last-modified'),
    freshUntil: freshUntil(
      {
        cacheControl: header(headers, 'cache-control'),
        expires: header(headers, 'expires'),
        date: header(headers, 'date'),
        age: header(headers, 'age'),
      },
      Date.now(),
    ),
  };
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Drops a body we will not read: destroying closes its connection; the abort error it then emits is expected, and unhandled it would crash the process. */
function abandon(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** Reads and drops a small body so its connection can be reused; a large or endless one closes it instead. */
async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump({ limit: 64 * 1024 });
  } catch {
    // The connection is closed instead of reused; nothing else to do.
  }
}
