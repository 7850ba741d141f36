import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonLogger } from './json-logger.js';

/** Longest request path an access log line keeps: a line stays small whatever a client sends. */
export const MAX_LOGGED_PATH = 1024;

/**
 * One line of the access log (`msg: "request"`), the same for every HTTP
 * server of image-loader (web node, `fetch --serve`, dashboard). The schema
 * is documented once, in web/README.md.
 */
export interface AccessLogRecord {
  method: string;
  /** The request target as received (path and query), cut at MAX_LOGGED_PATH characters. */
  path: string;
  status: number;
  /** The body's length from Content-Length; 0 for HEAD, for an answer without one, and for an aborted one. */
  bytes: number;
  /** From the request's arrival to the answer's end (or the client going away), in milliseconds. */
  ms: number;
  /** The client's address. */
  remote: string | undefined;
  /** True when the client went away before the answer was complete. */
  aborted?: true;
  /** The authenticated user (dashboard). */
  user?: string;
  /** The file system's error code behind a 503 (web node). */
  error?: string;
}

/** What an answer adds to its access log line (`res.locals`): the user, the error code. */
export interface AccessLogExtras {
  user?: string;
  error?: string;
}

/** The access log record of a request whose answer has ended or was cut off. */
export function accessLogRecord(
  req: Pick<IncomingMessage, 'method' | 'socket'> & { originalUrl?: string; url?: string },
  res: Pick<ServerResponse, 'statusCode' | 'writableFinished' | 'getHeader'>,
  startedAtNs: bigint,
  extras: AccessLogExtras = {},
): AccessLogRecord {
  const aborted = !res.writableFinished;
  // An aborted response's bytes are unknown (some may sit in the socket's buffers): counted as none.
  const bytes = req.method === 'HEAD' || aborted ? 0 : Number(res.getHeader('content-length') ?? 0);
  return {
    method: req.method ?? '',
    path: (req.originalUrl ?? req.url ?? '').slice(0, MAX_LOGGED_PATH),
    status: res.statusCode,
    bytes: Number.isFinite(bytes) ? bytes : 0,
    ms: Number((process.hrtime.bigint() - startedAtNs) / 1000n) / 1000,
    remote: req.socket.remoteAddress,
    ...(aborted ? { aborted: true as const } : {}),
    ...(extras.user === undefined ? {} : { user: extras.user }),
    ...(extras.error === undefined ? {} : { error: extras.error }),
  };
}

/**
 * Express middleware: one access log line per request once its answer is
 * sent or the client went away ('close' rather than 'finish', so aborted
 * answers are logged too), then `onRecord` (the web node's metrics).
 * `res.locals.user` and `res.locals.storeError` fill `user` and `error`.
 */
export function accessLog(
  log: JsonLogger,
  onRecord?: (record: AccessLogRecord) => void,
): (
  req: IncomingMessage & { originalUrl?: string },
  // Absent on a bare node:http response (the web node's image cache answers before express).
  res: ServerResponse & { locals?: Record<string, unknown> },
  next: () => void,
) => void {
  return (req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.once('close', () => {
      const { user, storeError } = res.locals ?? {};
      const record = accessLogRecord(req, res, startedAt, {
        ...(typeof user === 'string' ? { user } : {}),
        ...(typeof storeError === 'string' ? { error: storeError } : {}),
      });
      log.info('request', { ...record });
      onRecord?.(record);
    });
    next();
  };
}
