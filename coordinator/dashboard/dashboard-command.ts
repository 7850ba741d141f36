import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { readSecretFile } from '../../core/config/read-secret-file.js';
import { packageVersion } from '../../core/config/version.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { EXIT_OK } from '../../core/errors/exit-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';
import { DOWNLOADS_QUEUE, FleetKeys, ROUNDS_QUEUE } from '../../core/fleet/fleet-keys.js';
import { redactRedisUrl } from '../../core/fleet/fleet-settings.js';
import { connectRedis, queueClosable, redisClosable } from '../../core/fleet/redis-connection.js';
import { RoundLedger } from '../../core/fleet/round-ledger.js';
import { JsonLogger } from '../../core/log/json-logger.js';
import { closeAll, httpServerClosable } from '../../core/service/close-all.js';
import { listen } from '../../core/service/listen.js';
import { type ServiceIo, untilAborted } from '../../core/service/service-io.js';
import { armStopWatchdog } from '../../core/service/stop-watchdog.js';
import type { Credentials } from './basic-auth.js';
import { createDashboardApp } from './dashboard-app.js';
import { DASHBOARD_PASSWORD_ENV, type DashboardConfig } from './dashboard-settings.js';
import { FleetMetrics } from './fleet-metrics.js';
import { readMetricsToken } from './metrics-token.js';

export { parseDashboardArgs } from './dashboard-settings.js';

/** How long the queues and Redis may take to close once the server is closed: inside the stop watchdog's slack. */
const CLOSE_GRACE_MS = 400;

/**
 * `image-loader dashboard`: bull-board for the fleet's queues and a page of
 * round history, over HTTP. Runs until SIGTERM/SIGINT, then closes the
 * server and Redis and exits 0; exit 2 for a bad setting or a port it
 * cannot listen on. Redis being down does not stop it: it says so on its
 * pages and reconnects.
 */
export async function runDashboard(config: DashboardConfig, io: ServiceIo): Promise<number> {
  armStopWatchdog(io.signal, config.stopTimeoutMs);
  const log = new JsonLogger(io.stdout, { process: 'dashboard', host: hostname(), pid: process.pid });
  const credentials = await loadCredentials(config);
  const metricsToken = await readMetricsToken(config.metricsTokenFile);
  const redis = await connectRedis(config, 'service', `image-loader-dashboard-${hostname()}-${process.pid}`, log);
  // skipMetasUpdate: looking at a queue must not write to it (BullMQ otherwise stores its version in the queue's meta).
  const queueOptions = { connection: redis, prefix: config.prefix, skipMetasUpdate: true };
  const queues = [new Queue(ROUNDS_QUEUE, queueOptions), new Queue(DOWNLOADS_QUEUE, queueOptions)];
  for (const queue of queues) queue.on('error', () => {}); // the connection's own handler reports outages
  const ledger = new RoundLedger(redis, new FleetKeys(config.prefix));
  const redisReady = (): boolean => redis.status === 'ready';
  const app = createDashboardApp({
    queues,
    ledger,
    metrics: new FleetMetrics({ ledger, downloads: queues[1]!, redisReady, timeoutMs: 3000 }),
    metricsToken,
    redisReady,
    credentials,
    allowActions: config.allowActions,
    log,
  });
  const server = createServer(app);
  // Slow clients cannot hold connections open for long.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  try {
    await listen(server, config.host, config.port);
  } catch (error) {
    await closeQueuesAndRedis(queues, redis, log);
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      `cannot listen on ${config.host} port ${config.port}: ${code}`,
      { cause: error },
    );
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`;
  if (credentials === undefined) {
    log.warn(
      `no credentials configured: listening on ${address.address} (loopback) only; set IMAGE_LOADER_DASHBOARD_USER and ${DASHBOARD_PASSWORD_ENV} to listen elsewhere`,
      {
        address: address.address,
        port: address.port,
      },
    );
  }
  log.info('dashboard started', {
    version: packageVersion(),
    url,
    address: address.address,
    port: address.port,
    auth: credentials === undefined ? 'none' : 'basic',
    readOnly: !config.allowActions,
    redis: redactRedisUrl(config.redis),
    prefix: config.prefix,
  });

  await untilAborted(io.signal);
  log.info('stopping', { stopTimeoutMs: config.stopTimeoutMs });
  // A request still running (bull-board's API waiting on Redis) gets until the stop timeout, then its connection is closed.
  await closeAll([httpServerClosable(server)], config.stopTimeoutMs, log);
  await closeQueuesAndRedis(queues, redis, log);
  log.info('dashboard stopped');
  return EXIT_OK;
}

async function loadCredentials(config: DashboardConfig): Promise<Credentials | undefined> {
  if (config.user === undefined) return undefined;
  if (config.password !== undefined) return { user: config.user, password: config.password };
  const path = config.passwordFile!;
  const password = await readSecretFile(path, `the dashboard password file ${path}`);
  if (password === '')
    throw new ImageLoaderError(ErrorCode.InvalidConfig, `the dashboard password file ${path} is empty`);
  return { user: config.user, password };
}

/** Every step runs, and none waits for a Redis that is down. */
async function closeQueuesAndRedis(queues: Queue[], redis: Redis, log: JsonLogger): Promise<void> {
  await closeAll(
    queues.map((queue) => queueClosable(`${queue.name} queue`, queue)),
    CLOSE_GRACE_MS,
    log,
  );
  await closeAll([redisClosable('redis', redis)], CLOSE_GRACE_MS, log);
}
