import { ErrorCode } from './error-codes.js';

export interface ImageLoaderErrorOptions {
  /** The URL (or raw list line) this error is about, when there is one. */
  url?: string;
  /** Whether trying the same request again later may succeed. */
  retryable?: boolean;
  /** HTTP status, for IMG_ERR_HTTP_STATUS. */
  status?: number;
  /** Seconds the server asked us to wait (Retry-After), when it said so. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** Every error this project raises on purpose: a stable `code` plus context. */
export class ImageLoaderError extends Error {
  readonly code: ErrorCode;
  readonly url: string | undefined;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: ImageLoaderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImageLoaderError';
    this.code = code;
    this.url = options.url;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isImageLoaderError(error: unknown): error is ImageLoaderError {
  return error instanceof ImageLoaderError;
}

/**
 * A download's failure as an ImageLoaderError: anything else that escaped the
 * download core (a file system error while committing) counts as a store
 * failure of that URL, never as a crash.
 */
export function asImageLoaderError(caught: unknown, url: string): ImageLoaderError {
  if (caught instanceof ImageLoaderError) return caught;
  const { code, message } = (caught ?? {}) as NodeJS.ErrnoException;
  // Node's fs messages already start with the code ("EACCES: permission denied, mkdir '...'").
  const text =
    code === undefined || String(message).startsWith(code) ? String(message ?? caught) : `${code}: ${message}`;
  return new ImageLoaderError(ErrorCode.Store, `cannot write to the store: ${text}`, { url, cause: caught });
}
