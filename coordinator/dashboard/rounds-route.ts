import type { RequestHandler } from 'express';
import type { RoundLedger } from '../../core/fleet/round-ledger.js';
import type { JsonLogger } from '../../core/log/json-logger.js';
import { type RoundProgress, readRoundProgress } from '../round-progress.js';
import { type RoundRow, roundRows } from './round-rows.js';
import { ROUNDS_PAGE_CSP, renderRoundsPage } from './rounds-page.js';

/** Rounds the page shows: the whole history Redis keeps. */

export interface RoundsRouteOptions {
  ledger: RoundLedger;
  /** False while the Redis connection is down: the page says so at once instead of queueing a read. */
  redisReady: () => boolean;
  /** Longest wait for Redis's answer before the page reports it unreachable. */
  timeoutMs: number;
  log: JsonLogger;
}

/**
 * GET /rounds: the round history page. It always answers, and quickly: with
 * the history, or with a clear "Redis unreachable" (503) when the connection
 * is down or Redis does not answer within `timeoutMs`.
 */
export function roundsRoute(options: RoundsRouteOptions): RequestHandler {
  return async (_req, res) => {
    let rows: RoundRow[] = [];
    let inProgress: RoundProgress | undefined;
    let error: string | undefined;
    if (!options.redisReady()) {
      error = NO_CONNECTION;
    } else {
      try {
        ({ rows, inProgress } = await withTimeout(readRounds(options.ledger), options.timeoutMs));
      } catch (caught) {
        // A read that was under way when the connection dropped fails or times out; the dropped connection is
        // then the reason to give, as it is for every request after it.
        if (!options.redisReady()) error = NO_CONNECTION;
        else if (caught instanceof TimeoutError)
          error = `Redis unreachable: no answer within ${options.timeoutMs / 1000} s.`;
        else error = `The round history could not be read: ${(caught as Error).message}`;
        options.log.warn('rounds page: history not read', { error: caught });
      }
    }
    res
      .status(error === undefined ? 200 : 503)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': ROUNDS_PAGE_CSP,
        'Cache-Control': 'no-store',
      })
      .send(renderRoundsPage({ rows, inProgress, error, now: new Date() }));
  };
}

async function readRounds(ledger: RoundLedger): Promise<{ rows: RoundRow[]; inProgress: RoundProgress | undefined }> {
  const [history, inProgress] = await Promise.all([ledger.history(), readRoundProgress(ledger)]);
  return { rows: roundRows(history), inProgress };
}

const NO_CONNECTION =
  'Redis unreachable: the dashboard has no connection to Redis right now (it keeps trying to reconnect). The round history shows again once Redis is back.';

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  // The losing read may still settle later (when Redis answers); nothing waits for it.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
