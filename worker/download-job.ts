import { type Job, WaitingError } from 'bullmq';
import type { Downloader } from '../core/download/downloader.js';
import { ErrorCode } from '../core/errors/error-codes.js';
import { asImageLoaderError } from '../core/errors/image-loader-error.js';
import type { DownloadJobData } from '../core/fleet/download-job-data.js';
import type { FleetMetadata } from '../core/fleet/fleet-metadata.js';
import type { HostLease, HostLeases } from '../core/fleet/host-leases.js';
import type { RoundLedger } from '../core/fleet/round-ledger.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import type { DownloadMetrics } from '../core/metrics/download-metrics.js';
import { storedOutcome } from '../core/metrics/download-outcome.js';
import { errorEntry, type UrlEntry } from '../core/round/round-summary.js';

/** What a download job returns (kept only until BullMQ removes the job). */
export interface DownloadJobResult {
  status: UrlEntry['status'];
  code?: string;
}

export interface DownloadJobParts {
  downloader: Downloader;
  metadata: FleetMetadata;
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
 * Processes one download job: waits for a fleet-wide turn at the host, then
 * runs the same download core as `fetch` with the URL's metadata from
 * Redis, and settles the URL in the round. A retryable failure with retries
 * left is thrown, so BullMQ waits out the backoff in its delayed set and the
 * worker's slot serves other URLs meanwhile; any other failure is an entry
 * of the round, and the job completes.
 */
export function createDownloadJobProcessor(
  parts: DownloadJobParts,
): (job: Job<DownloadJobData, DownloadJobResult>, token?: string) => Promise<DownloadJobResult> {
  const { downloader, metadata, leases, ledger, log, retries, abandon, metrics } = parts;
  return async (job, token) => {
    const { url } = job.data;
    const jobId = job.id!;
    const attempt = job.attemptsMade + 1;
    const startedAt = Date.now();
    let lease: HostLease | undefined;
    let previous;
    let endAttempt: ReturnType<DownloadMetrics['start']> | undefined;
    try {
      lease = await leases.acquire(new URL(url).host, abandon);
      metrics?.observeLeaseWait((Date.now() - startedAt) / 1000);
      endAttempt = metrics?.start();
      previous = await metadata.get(jobId, url);
      const { image, metadata: next } = await downloader.download(url, previous, {
        signal: abandon,
        onBodyReceived: () => lease?.release(),
      });
      lease.release();
      // A copy skipped as still fresh comes back unchanged: nothing to write.
      if (next !== previous) await metadata.set(jobId, next);
      const { transferred, fresh, ...stored } = image;
      endAttempt?.(storedOutcome(image), transferred);
      const entry = { url, ...stored, attempts: fresh ? 0 : attempt };
      const roundId = await ledger.settle(jobId, entry, transferred);
      log.info(`url ${image.status}`, {
        roundId: roundId ?? job.data.roundId,
        url,
        jobId,
        path: image.path,
        bytes: image.bytes,
        transferred,
        attempt,
        ms: Date.now() - startedAt,
      });
      return { status: image.status };
    } catch (caught) {
      lease?.release();
      if (abandon.aborted) {
        endAttempt?.('retried', 0, ErrorCode.Aborted);
        // The worker is stopping: hand the job back as it was (no attempt used) for another worker to take at once.
        await job.moveToWait(token);
        log.info('url handed back to the queue (worker stopping)', { roundId: job.data.roundId, url, jobId });
        throw new WaitingError();
      }
      const error = asImageLoaderError(caught, url);
      endAttempt?.(error.retryable && attempt <= retries ? 'retried' : 'failed', 0, error.code);
      if (error.retryable && attempt <= retries) {
        log.warn('url failed; retrying', { roundId: job.data.roundId, url, jobId, attempt, error: errorEntry(error) });
        throw error;
      }
      await metadata.recordFailure(jobId, previous, error);
      const entry = { url, status: 'failed' as const, attempts: attempt, error: errorEntry(error) };
      const roundId = await ledger.settle(jobId, entry, 0);
      log.warn('url failed', {
        roundId: roundId ?? job.data.roundId,
        url,
        jobId,
        attempt,
        error: errorEntry(error),
        ms: Date.now() - startedAt,
      });
      return { status: 'failed', code: error.code };
    }
  };
}
