import type { RequestHandler, Response } from 'express';
import { ErrorCode } from '../../core/errors/error-codes.js';
import type { JsonLogger } from '../../core/log/json-logger.js';
import { checkAction } from './action-policy.js';
import { BASIC_CHALLENGE, type CredentialCheck, parseBasicAuthorization } from './basic-auth.js';
import { checkSameOrigin } from './csrf-guard.js';
import { clientKey, type FailureLimiter } from './failure-limiter.js';
import { isLoopbackHostHeader } from './loopback.js';

/*
 * The dashboard's request pipeline, in the order dashboard-app.ts composes
 * it: headers, Host (without credentials), basic auth, CSRF, actions, Redis.
 * Each step is a thin adapter from express to a pure decision tested by tables.
 */

/**
 * Headers on every answer. The CSP here is what bull-board's UI can live
 * with (it is a script bundle with inline styles and fonts from Google):
 * no framing (clickjacking of its buttons), no <base> or plugin tricks. The
 * rounds page sets a strict one of its own. Referrer-Policy same-origin
 * keeps a Referer for the CSRF check's fallback and gives none elsewhere.
 */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
      'Referrer-Policy': 'same-origin',
    });
    next();
  };
}

/** Without credentials: answer only requests addressed to loopback by name (see isLoopbackHostHeader: DNS rebinding). */
export function loopbackHostGuard(): RequestHandler {
  return (req, res, next) => {
    if (isLoopbackHostHeader(req.headers.host)) return next();
    refuse(
      res,
      403,
      'FORBIDDEN',
      'misdirected',
      'without credentials this dashboard answers only requests to localhost, 127.0.0.1 or [::1]',
    );
  };
}

/**
 * HTTP basic auth on every route, with failed attempts limited per client
 * (429 with Retry-After once a client has used them up, whatever it sends
 * then, right password included: a guess must not be able to tell). A
 * request without credentials is not a failure: browsers send one first.
 */
export function basicAuthGuard(check: CredentialCheck, limiter: FailureLimiter, log: JsonLogger): RequestHandler {
  return (req, res, next) => {
    const client = clientKey(req.socket.remoteAddress);
    const waitMs = limiter.retryAfterMs(client);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      res
        .status(429)
        .set('Retry-After', String(seconds))
        .type('text/plain')
        .send(`too many failed logins from this address; try again in ${seconds} s\n`);
      return;
    }
    const given = parseBasicAuthorization(req.headers.authorization);
    if (given !== undefined && check.matches(given)) {
      limiter.recordSuccess(client);
      res.locals.user = given.user;
      return next();
    }
    if (given !== undefined) {
      // The user name is not logged: people type passwords into it.
      if (limiter.recordFailure(client))
        log.warn('too many failed logins: refusing this client for a while', { client });
      else log.warn('login failed', { client });
    }
    // One answer for a missing, a malformed and a wrong login: it never says which part was wrong.
    res.status(401).set('WWW-Authenticate', BASIC_CHALLENGE).type('text/plain').send('authentication required\n');
  };
}

/** State-changing requests only from the dashboard's own pages (see checkSameOrigin). */
export function csrfGuard(log: JsonLogger): RequestHandler {
  return (req, res, next) => {
    const verdict = checkSameOrigin({
      method: req.method,
      host: req.headers.host,
      origin: req.headers.origin,
      secFetchSite: header(req.headers['sec-fetch-site']),
      referer: req.headers.referer,
    });
    if (verdict.allowed) return next();
    log.warn("request refused: not from the dashboard's own pages", {
      method: req.method,
      url: req.originalUrl.slice(0, 300),
      client: req.socket.remoteAddress,
      reason: verdict.reason,
    });
    refuse(res, 403, 'FORBIDDEN', 'cross-site', verdict.reason);
  };
}

/** Read-only, or the repairs --allow-actions permits (see checkAction). */
export function actionGuard(allowActions: boolean): RequestHandler {
  return (req, res, next) => {
    const verdict = checkAction(req.method, req.path, allowActions);
    if (verdict.allowed) return next();
    refuse(
      res,
      403,
      allowActions ? 'FORBIDDEN' : 'QUEUE_READ_ONLY',
      allowActions ? 'action-not-allowed' : 'read-only',
      verdict.reason,
    );
  };
}

/**
 * bull-board's API while Redis is down: a 503 at once. Otherwise each poll
 * of its page would wait in the connection's offline queue until Redis is
 * back.
 */
export function redisGuard(redisReady: () => boolean): RequestHandler {
  return (_req, res, next) => {
    if (redisReady()) return next();
    refuse(
      res,
      503,
      'INTERNAL_SERVER_ERROR',
      ErrorCode.Redis,
      'Redis unreachable: the dashboard is reconnecting; queues show again once Redis is back',
    );
  };
}

/** A refusal in bull-board's error shape (its UI translates `error.key`), with our reason and message. */
function refuse(res: Response, status: number, key: string, reason: string, message: string): void {
  res.status(status).json({ error: { key: `ERRORS.${key}` }, reason, message });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
