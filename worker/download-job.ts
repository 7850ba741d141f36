import { type Job, WaitingError } from 'bullmq';
import type { Downloader } from '../core/download/downloader.js';
import type { DownloadJobData } from '../core/fleet/download-job-data.js';
import type { HostLease, HostLeases } from '../core/fleet/host-leases.js';
import type { RoundLedger } from '../core/fleet/round-ledger.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import type { DownloadMetrics } from '../core/metrics/download-metrics.js';
import { observeAttempts } from '../core/metrics/observe-attempts.js';
import { errorEntry, type UrlEntry } from '../core/round/round-summary.js';
import { type SettleSteps, settleUrl, storeSettleSteps } from '../core/round/settle-url.js';
import type { UrlMetadataSource } from '../core/store/url-metadata-source.js';

/** What a download job returns (kept only until BullMQ removes the job). */
export interface DownloadJobResult {
  status: UrlEntry['status'];
  code?: string;
}

export interface DownloadJobParts {
  downloader: Downloader;
  metadata: UrlMetadataSource;
  leases: HostLeases;
  ledger: RoundLedger;
  log: JsonLogger;
  /** Retries after the first attempt, for retryable failures only (the queue waits out the backoff, not the worker). */
  retries: number;
  /** Aborted when a stopping worker gives up waiting for its downloads: they go back to the queue, untouched. */
  abandon: AbortSignal;
  /** Counts attempts, bytes, durations and host-lease waits (`--metrics-port`); undefined: not counted. */
  metrics?: DownloadMetrics | undefined;
}

/**
 * Processes one download job: settles the URL with the same step as `fetch`
 * (settleUrl, over the fleet's metadata in Redis), after waiting for a
 * fleet-wide turn at its host, and reports the entry to the round's ledger.
 * A retryable failure with retries left is thrown, so BullMQ waits out the
 * backoff in its delayed set and the worker's slot serves other URLs
 * meanwhile; any other failure is an entry of the round, and the job completes.
 */
export function createDownloadJobProcessor(
  parts: DownloadJobParts,
): (job: Job<DownloadJobData, DownloadJobResult>, token?: string) => Promise<DownloadJobResult> {
  const { ledger, log, retries, abandon } = parts;
  const { metrics } = parts;
  const steps: SettleSteps = {
    ...withHostLease(storeSettleSteps(parts.downloader, parts.metadata), parts.leases, abandon, metrics),
    ...(metrics === undefined ? {} : { observeAttempt: observeAttempts(metrics) }),
  };
  return async (job, token) => {
    const { url } = job.data;
    const jobId = job.id!;
    const attempt = job.attemptsMade + 1;
    const startedAt = Date.now();
    const outcome = await settleUrl(url, steps, { attempt, retries, signal: abandon, whenStopping: 'hand-back' });
    if (outcome.kind === 'hand-back') {
      // The worker is stopping: hand the job back as it was (no attempt used) for another worker to take at once.
      await job.moveToWait(token);
      log.info('url handed back to the queue (worker stopping)', { roundId: job.data.roundId, url, jobId });
      throw new WaitingError();
    }
    if (outcome.kind === 'retry') {
      const error = outcome.error;
      log.warn('url failed; retrying', { roundId: job.data.roundId, url, jobId, attempt, error: errorEntry(error) });
      throw error;
    }
    const { entry, transferred } = outcome;
    const roundId = (await ledger.settle(jobId, entry, transferred)) ?? job.data.roundId;
    const ms = Date.now() - startedAt;
    if (entry.status === 'failed') {
      log.warn('url failed', { roundId, url, jobId, attempt, error: entry.error, ms });
      return { status: 'failed', code: entry.error!.code };
    }
    log.info(`url ${entry.status}`, {
      roundId,
      url,
      jobId,
      path: entry.path,
      bytes: entry.bytes,
      transferred,
      attempt,
      ms,
    });
    return { status: entry.status };
  };
}

/**
 * The store's steps, each download holding a fleet-wide turn at its host: the
 * turn is given back as soon as the body has arrived, or when the attempt ends.
 */
function withHostLease(
  steps: SettleSteps,
  leases: HostLeases,
  abandon: AbortSignal,
  metrics: DownloadMetrics | undefined,
): SettleSteps {
  return {
    download: async (url, options) => {
      let lease: HostLease | undefined;
      try {
        const waitStarted = Date.now();
        lease = await leases.acquire(new URL(url).host, abandon);
        metrics?.observeLeaseWait((Date.now() - waitStarted) / 1000);
        return await steps.download(url, {
          signal: options.signal,
          onBodyReceived: () => {
            lease?.release();
            options.onBodyReceived();
          },
        });
      } finally {
        lease?.release();
      }
    },
    recordFailure: steps.recordFailure,
  };
}
