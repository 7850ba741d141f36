import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';

const RETRYABLE_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * Turns whatever a download threw (undici, the network, the filesystem, an
 * abort) into an ImageLoaderError whose code and `retryable` flag say what a
 * retry should do: resets and timeouts may pass, DNS "no such host" and
 * store failures will not.
 */
export function classifyDownloadError(error: unknown, url: string): ImageLoaderError {
  if (error instanceof ImageLoaderError) {
    return error.url === undefined
      ? new ImageLoaderError(error.code, error.message, {
          url,
          retryable: error.retryable,
          status: error.status,
          cause: error.cause,
        })
      : error;
  }
  const blocked = findCause(error, (e) => e instanceof ImageLoaderError);
  if (blocked instanceof ImageLoaderError) return classifyDownloadError(blocked, url);

  const code = errorCode(error);
  const detail = (error as Error)?.message ?? String(error);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new ImageLoaderError(ErrorCode.ConnectTimeout, `connection timed out: ${detail}`, {
        url,
        retryable: true,
        cause: error,
      });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new ImageLoaderError(ErrorCode.HeadersTimeout, 'server sent no response headers in time', {
        url,
        retryable: true,
        cause: error,
      });
    case 'UND_ERR_BODY_TIMEOUT':
      return new ImageLoaderError(ErrorCode.BodyTimeout, 'server stopped sending the body (idle timeout)', {
        url,
        retryable: true,
        cause: error,
      });
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new ImageLoaderError(ErrorCode.Truncated, 'body ended before its Content-Length', {
        url,
        retryable: true,
        cause: error,
      });
    case 'ENOTFOUND':
      return new ImageLoaderError(ErrorCode.DnsNotFound, `host not found: ${new URL(url).hostname}`, {
        url,
        cause: error,
      });
    case 'AbortError':
    case 'ABORT_ERR':
    case 'UND_ERR_ABORTED':
      return new ImageLoaderError(ErrorCode.Aborted, 'download aborted (shutting down)', { url, cause: error });
  }
  if (
    code !== undefined &&
    /^E[A-Z]+$/.test(code) &&
    (error as NodeJS.ErrnoException).syscall !== undefined &&
    !RETRYABLE_SOCKET_CODES.has(code)
  ) {
    // A filesystem errno (ENOSPC, EACCES, EROFS, EDQUOT...): the store, not the origin.
    return new ImageLoaderError(ErrorCode.Store, `cannot write to the store: ${code} (${detail})`, {
      url,
      cause: error,
    });
  }
  if (code !== undefined && RETRYABLE_SOCKET_CODES.has(code)) {
    return new ImageLoaderError(
      ErrorCode.Connection,
      `connection failed: ${code}${detail && !detail.includes(code) ? ` (${detail})` : ''}`,
      { url, retryable: true, cause: error },
    );
  }
  return new ImageLoaderError(ErrorCode.Connection, `request failed: ${detail}`, {
    url,
    retryable: true,
    cause: error,
  });
}

/** How a connection can break once the body is flowing; each one cuts the body short. */
const BROKEN_MID_BODY: Record<string, string> = {
  UND_ERR_SOCKET: 'the server closed the connection',
  ECONNRESET: 'the connection was reset',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection broke',
};

/**
 * A failure while the body was being read. A connection that breaks then
 * (closed by the server, whose lying Content-Length is the usual reason, or
 * reset) leaves the body short: IMG_ERR_TRUNCATED, saying how much arrived.
 * As a close and a reset can look alike on the wire (a RST after a FIN is
 * reported either way), both get this one code. Anything else is classified
 * as usual by classifyDownloadError.
 */
export function bodyReadError(error: unknown, url: string, received: number, declared: number | undefined): unknown {
  if (error instanceof ImageLoaderError) return error;
  const how = BROKEN_MID_BODY[errorCode(error) ?? ''];
  if (how === undefined) return error;
  const arrived =
    declared === undefined
      ? `${received} bytes, before the end of the body`
      : `${received} of the ${declared} bytes its Content-Length declared`;
  return new ImageLoaderError(ErrorCode.Truncated, `body truncated: ${how} after ${arrived}`, {
    url,
    retryable: true,
    cause: error,
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  if (name === 'AbortError') return 'AbortError';
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? undefined : errorCode(cause);
}

function findCause(error: unknown, predicate: (e: unknown) => boolean, depth = 0): unknown {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  if (predicate(error)) return error;
  return findCause((error as { cause?: unknown }).cause, predicate, depth + 1);
}
