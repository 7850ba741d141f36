import { hostname } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { packageVersion } from '../core/config/version.js';
import { ErrorCode } from '../core/errors/error-codes.js';
import { EXIT_OK } from '../core/errors/exit-codes.js';
import { ImageLoaderError } from '../core/errors/image-loader-error.js';
import type { DownloadJobData } from '../core/fleet/download-job-data.js';
import { DOWNLOADS_QUEUE, FleetKeys, ROUNDS_QUEUE } from '../core/fleet/fleet-keys.js';
import { FleetMetadata } from '../core/fleet/fleet-metadata.js';
import { redactRedisUrl } from '../core/fleet/fleet-settings.js';
import { PruneLock } from '../core/fleet/prune-lock.js';
import { checkRedisSetup, connectRedis, queueClosable, redisClosable } from '../core/fleet/redis-connection.js';
import { RoundLedger } from '../core/fleet/round-ledger.js';
import { JsonLogger } from '../core/log/json-logger.js';
import { startProcessMetrics } from '../core/metrics/start-process-metrics.js';
import { type Closable, closeAll } from '../core/service/close-all.js';
import { type ServiceIo, untilAborted } from '../core/service/service-io.js';
import { armStopWatchdog } from '../core/service/stop-watchdog.js';
import { StopRequestedError, unlessStopped } from '../core/service/unless-stopped.js';
import { ImageStore } from '../core/store/image-store.js';
import { coordinatorSettings } from './coordinator-settings.js';
import { FleetRoundPrune } from './fleet-round-prune.js';
import { RoundDriver, type RoundJobResult } from './round-driver.js';
import { ensureRoundSchedule, type RoundJobData } from './round-schedule.js';

export type CoordinatorConfig = SettingValues<typeof coordinatorSettings> & { list: string };

/** A coordinator that dies mid-round is replaced as often as it takes: its round must not be failed for it. */
const ROUND_MAX_STALLED = 1_000_000;

/** How long each closing step past --stop-timeout may take: two of them stay inside the stop watchdog's slack. */
const CLOSE_GRACE_MS = 300;

export function parseCoordinatorArgs(args: string[], env: NodeJS.ProcessEnv): CoordinatorConfig {
  const config = parseCommandArgs(coordinatorSettings, args, env).settings;
  if (config.list === undefined)
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      'coordinator needs --list LIST (or IMAGE_LOADER_LIST): a file or an http(s):// URL',
    );
  if (config.list === '-')
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      '--list: standard input (-) can be read only once; give a file or a URL',
    );
  return { ...config, list: config.list };
}

/**
 * `image-loader coordinator`: keeps the fleet's round schedule in Redis and
 * drives the rounds it fires. Any number may run (active/standby): each
 * round job goes to one of them; the others wait for the next, or take over
 * a round whose coordinator died. Runs until SIGTERM; exit 0.
 */
export async function runCoordinator(config: CoordinatorConfig, io: ServiceIo): Promise<number> {
  armStopWatchdog(io.signal, config.stopTimeoutMs);
  const log = new JsonLogger(io.stdout, { process: 'coordinator', host: hostname(), pid: process.pid });
  // First: a --metrics-port in use stops start-up (exit 2). Process metrics only: the rounds are the dashboard's.
  const metrics = await startProcessMetrics(config, { downloads: false, rounds: false }, log);
  const metricsServer: Closable[] =
    metrics === undefined ? [] : [{ name: 'metrics server', close: () => metrics.close() }];
  const store =
    config.store === undefined ? undefined : (await ImageStore.open(config.store, { keepTempFiles: true })).store;
  const keys = new FleetKeys(config.prefix);
  const redis = await connectRedis(config, 'service', `image-loader-coordinator-${hostname()}-${process.pid}`, log);
  const queueOptions = { connection: redis, prefix: config.prefix };
  const rounds = new Queue<RoundJobData, RoundJobResult>(ROUNDS_QUEUE, queueOptions);
  const downloads = new Queue<DownloadJobData>(DOWNLOADS_QUEUE, queueOptions);
  for (const queue of [rounds, downloads]) queue.on('error', () => {});
  const queues = [queueClosable('rounds queue', rounds), queueClosable('downloads queue', downloads)];
  try {
    // Both wait for Redis as long as it is down: a SIGTERM meanwhile must not.
    await unlessStopped(io.signal, checkRedisSetup(redis, log));
    await unlessStopped(io.signal, ensureRoundSchedule(redis, rounds, keys, config.everyMs, log));
  } catch (error) {
    await closeAll([...queues, ...metricsServer], CLOSE_GRACE_MS, log);
    await closeAll([redisClosable('redis', redis)], CLOSE_GRACE_MS, log);
    if (!(error instanceof StopRequestedError)) throw error;
    log.info('coordinator stopped before it started');
    return EXIT_OK;
  }

  const stopRounds = new AbortController();
  const metadata = new FleetMetadata(redis, keys);
  const prune =
    store === undefined
      ? undefined
      : new FleetRoundPrune({ store, settings: config, lock: new PruneLock(redis, keys), metadata, log });
  const driver = new RoundDriver({
    ledger: new RoundLedger(redis, keys),
    metadata,
    prune,
    rounds,
    downloads,
    list: config.list,
    everyMs: config.everyMs,
    store,
    log,
    // A vanished job is a death the queue could not recover from; look for one as often as the queue looks for stalls.
    repairEveryMs: config.stalledIntervalMs,
  });
  const worker = new Worker<RoundJobData, RoundJobResult>(
    ROUNDS_QUEUE,
    (job, token) => driver.run(job, token, stopRounds.signal),
    {
      ...queueOptions,
      // Two at once: a start that fires while this coordinator drives a round is seen (and recorded as
      // skipped) at once, instead of waiting behind the round and starting a late one back to back.
      concurrency: 2,
      lockDuration: config.stalledIntervalMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: ROUND_MAX_STALLED,
    },
  );
  worker.on('error', () => {});
  worker.on('failed', (job, error) => log.error('round job failed', { jobId: job?.id, error }));
  log.info('coordinator started', {
    version: packageVersion(),
    redis: redactRedisUrl(config.redis),
    prefix: config.prefix,
    list: config.list,
    everyMs: config.everyMs,
    store: store?.layout.root,
  });

  await untilAborted(io.signal);
  log.info('stopping', { stopTimeoutMs: config.stopTimeoutMs });
  stopRounds.abort();
  await closeAll(
    [{ name: 'round worker', close: () => worker.close(), force: () => void worker.disconnect().catch(() => {}) }],
    config.stopTimeoutMs,
    log,
  );
  // The metrics server waits on nothing: it closes in the queues' step, and Redis, which they use, after them.
  await closeAll([...queues, ...metricsServer], CLOSE_GRACE_MS, log);
  await closeAll([redisClosable('redis', redis)], CLOSE_GRACE_MS, log);
  log.info('coordinator stopped');
  return EXIT_OK;
}

/** A queue as a Closable: its close waits for Redis, so past the deadline its connection is dropped instead. */
