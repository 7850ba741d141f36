import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DOWNLOAD_OUTCOMES, type DownloadOutcome } from './download-outcome.js';

/** Seconds: from a fresh-copy skip (milliseconds) to a large image on a slow origin (the default deadline is 60 s). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds a download waited for a turn at its host (fleet-wide host leases). */
const LEASE_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

/**
 * The download core's metrics, shared by `worker` and `fetch`: one place
 * names them. Labels are bounded: `outcome` is one of DOWNLOAD_OUTCOMES and
 * `code` an IMG_ERR_* code (failed and retried attempts only); never a URL
 * or a host.
 */
export class DownloadMetrics {
  readonly downloads: Counter<'outcome' | 'code'>;
  readonly bytes: Counter;
  readonly duration: Histogram<'outcome'>;
  readonly inFlight: Gauge;
  readonly leaseWait: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.downloads = new Counter({
      name: 'image_loader_downloads_total',
      help: 'Download attempts, by outcome (stored, unchanged, fresh, failed, retried) and, for failures, IMG_ERR_* code.',
      labelNames: ['outcome', 'code'] as const,
      registers,
    });
    this.bytes = new Counter({
      name: 'image_loader_download_bytes_total',
      help: 'Image body bytes received from origins.',
      registers,
    });
    this.duration = new Histogram({
      name: 'image_loader_download_duration_seconds',
      help: 'Time of one download attempt, from the request to the image in the store (or the failure), by outcome.',
      labelNames: ['outcome'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'image_loader_downloads_in_flight',
      help: 'Download attempts running now.',
      registers,
    });
    this.leaseWait = new Histogram({
      name: 'image_loader_host_lease_wait_seconds',
      help: "Time a download waited for a turn at its origin host (the fleet's per-host limit).",
      buckets: LEASE_WAIT_BUCKETS,
      registers,
    });
    // Every outcome is a series from the start: a rate over a counter that appears late misses its first increase.
    for (const outcome of DOWNLOAD_OUTCOMES) {
      if (outcome !== 'failed' && outcome !== 'retried') this.downloads.inc({ outcome }, 0);
      this.duration.zero({ outcome });
    }
  }

  /** Marks an attempt started; the returned function ends it (call it once). */
  start(): (outcome: DownloadOutcome, transferredBytes: number, code?: string) => void {
    this.inFlight.inc();
    const stopTimer = this.duration.startTimer();
    let ended = false;
    return (outcome, transferredBytes, code) => {
      if (ended) return;
      ended = true;
      this.inFlight.dec();
      stopTimer({ outcome });
      this.downloads.inc(code === undefined ? { outcome } : { outcome, code });
      if (transferredBytes > 0) this.bytes.inc(transferredBytes);
    };
  }

  /** A download waited this long for its turn at the host. */
  observeLeaseWait(seconds: number): void {
    this.leaseWait.observe(seconds);
  }
}
