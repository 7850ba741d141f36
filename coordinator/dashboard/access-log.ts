import type { RequestHandler } from 'express';
import type { JsonLogger } from '../../core/log/json-logger.js';

/** Longest URL an access log line keeps (bull-board's query strings stay well under it). */
const MAX_URL = 300;

/**
 * One JSON line per request once its answer is sent (or the client went
 * away): method, URL, status, time taken, client address and the
 * authenticated user, so actions taken through the dashboard can be traced.
 */
export function accessLog(log: JsonLogger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      log.info('request', {
        method: req.method,
        url: req.originalUrl.slice(0, MAX_URL),
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        client: req.socket.remoteAddress,
        ...(typeof res.locals.user === 'string' ? { user: res.locals.user } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
    next();
  };
}
