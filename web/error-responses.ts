import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { JsonLogger } from '../core/log/json-logger.js';

/** Seconds a client or load balancer is asked to wait before trying a 503 again: about one look of the store probe. */
export const STORE_RETRY_AFTER_SECONDS = 10;

export function notFound(res: Response): void {
  res.status(404).type('text/plain').send('404 not found\n');
}

/**
 * 503 for a store that cannot be read (EACCES, EIO, ESTALE, gone): the
 * server's fault and, once an operator fixes it, a passing one, so nothing
 * may cache it, and `Retry-After` tells clients and load balancers to back
 * off. The access log line carries the code: one line a request, as for any
 * other answer.
 */
export function storeUnavailable(res: Response, error: unknown): void {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  res.locals.storeError = code;
  res
    .status(503)
    .setHeader('Cache-Control', 'no-store')
    .setHeader('Retry-After', String(STORE_RETRY_AFTER_SECONDS))
    .type('text/plain')
    .send(`503 store unavailable: ${code}${ERRNO_WORDS[code] === undefined ? '' : ` (${ERRNO_WORDS[code]})`}\n`);
}

/**
 * The app's last error handler (serve-index's errors: a folder it cannot
 * read): a plain answer. Express's own handler would send an HTML page with
 * the stack trace, and the store's paths in it, whenever NODE_ENV is not
 * "production".
 */
export function plainErrorHandler(log: JsonLogger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const code = (error as NodeJS.ErrnoException).code;
    const status = (error as { status?: unknown }).status;
    if (code === undefined && typeof status === 'number' && status >= 400 && status < 500) {
      res
        .status(status)
        .type('text/plain')
        .send(`${status} ${STATUS_CODES[status] ?? 'error'}\n`);
      return;
    }
    if (code === undefined) log.error('cannot serve a request', { path: req.originalUrl, error });
    storeUnavailable(res, error);
  };
}

/** The codes a store's file system gives, in words, for the person reading a 503. */
const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the store is not there',
  ENOTDIR: 'the store is not a folder',
  EIO: 'input/output error',
  ESTALE: 'stale NFS file handle',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};
