import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { packageVersion } from '../core/config/version.js';
import { Downloader } from '../core/download/downloader.js';
import { retryDelayMs } from '../core/download/retry-delay.js';
import { EXIT_OK } from '../core/errors/exit-codes.js';
import type { ImageLoaderError } from '../core/errors/image-loader-error.js';
import type { DownloadJobData } from '../core/fleet/download-job-data.js';
import { DOWNLOADS_QUEUE, FleetKeys } from '../core/fleet/fleet-keys.js';
import { FleetMetadata } from '../core/fleet/fleet-metadata.js';
import { redactRedisUrl } from '../core/fleet/fleet-settings.js';
import { HostLeases } from '../core/fleet/host-leases.js';
import { checkRedisSetup, connectRedis, redisClosable } from '../core/fleet/redis-connection.js';
import { RoundLedger } from '../core/fleet/round-ledger.js';
import { JsonLogger } from '../core/log/json-logger.js';
import { startProcessMetrics } from '../core/metrics/start-process-metrics.js';
import { type Closable, closeAll, settlesWithin } from '../core/service/close-all.js';
import { type ServiceIo, untilAborted } from '../core/service/service-io.js';
import { armStopWatchdog } from '../core/service/stop-watchdog.js';
import { StopRequestedError, unlessStopped } from '../core/service/unless-stopped.js';
import { ImageStore } from '../core/store/image-store.js';
import { createDownloadJobProcessor, type DownloadJobResult } from './download-job.js';
import { workerSettings } from './worker-settings.js';

export type WorkerConfig = SettingValues<typeof workerSettings>;

/** How often a crashed worker's job may be taken over before the queue fails it (the coordinator then decides: see RoundDriver). */
const MAX_STALLED_COUNT = 3;

/**
 * How long each closing step past --stop-timeout may take (handing jobs back, then the closes, then the
 * connections): three of them stay inside the stop watchdog's slack.
 */
const CLOSE_GRACE_MS = 250;

export function parseWorkerArgs(args: string[], env: NodeJS.ProcessEnv): WorkerConfig {
  return parseCommandArgs(workerSettings, args, env).settings;
}

/**
 * `image-loader worker`: takes download jobs from the queue until SIGTERM,
 * downloading into the store with the same core as `fetch`. On SIGTERM it
 * takes no new job, lets running downloads finish for up to --stop-timeout,
 * hands the rest back to the queue, and exits 0.
 */
export async function runWorker(config: WorkerConfig, io: ServiceIo): Promise<number> {
  armStopWatchdog(io.signal, config.stopTimeoutMs);
  const log = new JsonLogger(io.stdout, { process: 'worker', host: hostname(), pid: process.pid });
  // First: a --metrics-port in use stops start-up (exit 2) before anything else is opened.
  const metrics = await startProcessMetrics(config, { downloads: true, rounds: false }, log);
  const metricsServer: Closable[] =
    metrics === undefined ? [] : [{ name: 'metrics server', close: () => metrics.close() }];
  const { store, removedTempFiles } = await ImageStore.open(config.store);
  if (removedTempFiles > 0) log.info('removed temp files left by an interrupted run', { removedTempFiles });
  const keys = new FleetKeys(config.prefix);
  const redis = await connectRedis(config, 'service', `image-loader-worker-${hostname()}-${process.pid}`, log);
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {});
  const connections = [redisClosable('redis', redis), redisClosable('redis subscriber', subscriber)];
  let leases: HostLeases;
  try {
    // Both wait for Redis as long as it is down: a SIGTERM meanwhile must not.
    await unlessStopped(io.signal, checkRedisSetup(redis, log));
    // Leases live as long as job locks: a killed worker's jobs and its turns at their hosts come free together.
    leases = await unlessStopped(
      io.signal,
      HostLeases.start(redis, subscriber, keys, config.fleetPerHost, config.stalledIntervalMs),
    );
  } catch (error) {
    await closeAll([...connections, ...metricsServer], CLOSE_GRACE_MS, log);
    if (!(error instanceof StopRequestedError)) throw error;
    log.info('worker stopped before it started');
    return EXIT_OK;
  }

  const downloader = new Downloader(store, config);
  const abandon = new AbortController();
  // Every running download listens to it: at --concurrency above 10 the default leak warning would be noise.
  setMaxListeners(0, abandon.signal);
  const processor = createDownloadJobProcessor({
    downloader,
    metadata: new FleetMetadata(redis, keys),
    leases,
    ledger: new RoundLedger(redis, keys),
    log,
    retries: config.retries,
    abandon: abandon.signal,
    metrics: metrics?.downloads,
  });

  const worker = new Worker<DownloadJobData, DownloadJobResult>(DOWNLOADS_QUEUE, processor, {
    connection: redis,
    prefix: config.prefix,
    concurrency: config.concurrency,
    lockDuration: config.stalledIntervalMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_COUNT,
    settings: {
      backoffStrategy: (attemptsMade, _type, error) =>
        retryDelayMs(attemptsMade, (error as ImageLoaderError | undefined)?.retryAfterMs, Math.random),
    },
  });
  // Without a listener an 'error' event would crash the process; the connection's own handler already reports outages.
  worker.on('error', (error) => {
    if (!isConnectionError(error)) log.error('queue error', { error });
  });
  log.info('worker started', {
    version: packageVersion(),
    redis: redactRedisUrl(config.redis),
    prefix: config.prefix,
    store: store.layout.root,
    concurrency: config.concurrency,
    fleetPerHost: config.fleetPerHost,
  });

  await untilAborted(io.signal);
  log.info('stopping: finishing running downloads', { stopTimeoutMs: config.stopTimeoutMs });
  const closing = worker.close();
  if (!(await settlesWithin(closing, config.stopTimeoutMs))) {
    log.warn('stop timeout reached: handing running downloads back to the queue');
    abandon.abort();
    // Handing back is a Redis call: while Redis is down the job's lock expires instead, and another worker takes it.
    if (!(await settlesWithin(closing, CLOSE_GRACE_MS))) log.warn('the queue does not answer (Redis down?): leaving');
  }
  await closeAll(
    [
      { name: 'queue worker', close: () => closing, force: () => void worker.disconnect().catch(() => {}) },
      { name: 'downloader', close: () => downloader.close() },
      { name: 'host leases', close: () => leases.close() },
    ],
    CLOSE_GRACE_MS,
    log,
  );
  // One step: the connections and the metrics server do not wait on each other.
  await closeAll([...connections, ...metricsServer], CLOSE_GRACE_MS, log);
  log.info('worker stopped');
  return EXIT_OK;
}

function isConnectionError(error: Error): boolean {
  return /ECONNREFUSED|ECONNRESET|Connection is closed|connect ETIMEDOUT/i.test(error.message);
}
