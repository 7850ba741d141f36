import { collectDefaultMetrics, Registry } from 'prom-client';
import { DownloadMetrics } from './download-metrics.js';
import { RoundMetrics } from './round-metrics.js';

/**
 * A process's own registry (never prom-client's global one) with the
 * default process metrics (`process_*`, `nodejs_*`) and the download
 * metrics; with the round metrics too for `fetch`, which runs its rounds
 * itself (a worker's rounds are the dashboard's to report).
 */
export class ProcessMetrics {
  readonly registry = new Registry();
  readonly downloads = new DownloadMetrics(this.registry);
  readonly rounds: RoundMetrics | undefined;

  constructor(options: { rounds: boolean }) {
    this.rounds = options.rounds ? new RoundMetrics(this.registry) : undefined;
    collectDefaultMetrics({ register: this.registry });
  }
}
