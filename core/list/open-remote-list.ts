import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { ListSource } from './list-source.js';

/** How long the list's server may take to answer with headers. */
const LIST_HEADERS_TIMEOUT_MS = 30_000;

/**
 * Opens a list published over HTTP(S), streamed like a file (a list of a
 * million lines is never held whole). The list is the operator's own
 * configuration, so redirects are followed and private addresses allowed;
 * the SSRF guard is for the URLs inside it.
 */
export async function openRemoteList(url: string, stop?: AbortSignal): Promise<ListSource> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), LIST_HEADERS_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, {
      // The stop signal also ends a body that stalls mid-way: fetch aborts the stream it returned.
      signal: stop === undefined ? controller.signal : AbortSignal.any([controller.signal, stop]),
      redirect: 'follow',
      headers: { accept: 'text/plain, */*;q=0.5' },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = stop?.aborted
      ? 'stopped before the server answered'
      : controller.signal.aborted
        ? `no answer within ${LIST_HEADERS_TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new ImageLoaderError(ErrorCode.ListUnreadable, `cannot read URL list ${url}: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => {});
    throw new ImageLoaderError(
      ErrorCode.ListUnreadable,
      `cannot read URL list ${url}: the server answered HTTP ${response.status}`,
      { status: response.status },
    );
  }
  const stream = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  return { name: url, chunks: stream, close: async () => void stream.destroy() };
}
