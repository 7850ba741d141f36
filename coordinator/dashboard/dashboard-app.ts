import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import { DOWNLOADS_QUEUE, ROUNDS_QUEUE } from '../../core/fleet/fleet-keys.js';
import type { RoundLedger } from '../../core/fleet/round-ledger.js';
import { accessLog } from '../../core/log/access-log.js';
import type { JsonLogger } from '../../core/log/json-logger.js';
import { CredentialCheck, type Credentials } from './basic-auth.js';
import { FailureLimiter } from './failure-limiter.js';
import type { FleetMetrics } from './fleet-metrics.js';
import { metricsRoute, metricsTokenGuard } from './metrics-route.js';
import {
  actionGuard,
  basicAuthGuard,
  csrfGuard,
  loopbackHostGuard,
  redisGuard,
  securityHeaders,
} from './request-guards.js';
import { roundsRoute } from './rounds-route.js';

export interface DashboardAppOptions {
  /** The fleet's BullMQ queues (rounds, downloads), on the dashboard's Redis connection. */
  queues: Queue[];
  ledger: RoundLedger;
  /** Whether the Redis connection is up right now. */
  redisReady: () => boolean;
  /** Basic auth on every route; undefined: none (the caller listens on loopback only). */
  credentials: Credentials | undefined;
  allowActions: boolean;
  log: JsonLogger;
  /** The fleet's metrics, served at /metrics behind the same guards as every page. */
  metrics: FleetMetrics;
  /** A bearer token that opens /metrics alone, without the credentials; undefined: none. */
  metricsToken?: string | undefined;
  /** Longest wait for Redis on the rounds page. @defaultValue 3000 */
  roundsTimeoutMs?: number;
}

const QUEUE_DESCRIPTIONS: Record<string, string> = {
  [ROUNDS_QUEUE]: 'Round jobs: the job scheduler fires one every interval; image-loader round adds one.',
  [DOWNLOADS_QUEUE]: 'Download jobs: one per URL of the round in progress (removed once settled).',
};

/**
 * The dashboard's express app: bull-board for the fleet's queues at `/`
 * (its API under `/api`), the round history at `/rounds`, behind the
 * request guards. The order of the steps is the security model: every
 * request is logged and gets the security headers; then, without
 * credentials, it must be addressed to loopback; with them, it must carry
 * them; a state-changing one must come from the dashboard's own pages and be
 * an action this dashboard allows; an API call needs Redis up.
 */
export function createDashboardApp(options: DashboardAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(accessLog(options.log));
  app.use(securityHeaders());
  if (options.metricsToken !== undefined) app.use(metricsTokenGuard(options.metricsToken, options.metrics));
  if (options.credentials === undefined) app.use(loopbackHostGuard());
  else app.use(basicAuthGuard(new CredentialCheck(options.credentials), new FailureLimiter(), options.log));
  app.use(csrfGuard(options.log));
  app.use(actionGuard(options.allowActions));
  app.use('/api', redisGuard(options.redisReady));
  app.get('/metrics', metricsRoute(options.metrics));
  app.get(
    '/rounds',
    roundsRoute({
      ledger: options.ledger,
      redisReady: options.redisReady,
      timeoutMs: options.roundsTimeoutMs ?? 3000,
      log: options.log,
    }),
  );

  const board = new ExpressAdapter();
  board.setBasePath('/');
  createBullBoard({
    queues: options.queues.map(
      (queue) =>
        new BullMQAdapter(queue, {
          readOnlyMode: !options.allowActions,
          allowRetries: options.allowActions,
          description: QUEUE_DESCRIPTIONS[queue.name] ?? '',
        }),
    ),
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: 'image-loader fleet',
        // Relative to bull-board's <base href="/">.
        miscLinks: [{ text: 'Round history', url: 'rounds' }],
      },
    },
  });
  // bull-board's router is an express app of its own: it would announce itself again.
  const boardApp = board.getRouter() as Express;
  boardApp.disable('x-powered-by');
  app.use('/', boardApp);
  return app;
}
