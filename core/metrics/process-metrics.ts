import { Registry } from 'prom-client';
import { collectProcessMetrics } from './default-metrics.js';
import { DownloadMetrics } from './download-metrics.js';
import { RoundMetrics } from './round-metrics.js';

/** Which metrics a process exports besides the default process ones. */
export interface ProcessMetricsOptions {
  /** It downloads (worker, fetch). */
  downloads: boolean;
  /** It runs its rounds itself (fetch; the fleet's rounds are the dashboard's to report). */
  rounds: boolean;
  /**
   * Also exported beside the web app's registry on its port (`fetch --serve`): made even without --metrics-port,
   * and the rounds' store size left to the web app's registry (one name, one HELP line on that endpoint).
   */
  besideWebApp?: boolean;
}

/**
 * A process's own registry (never prom-client's global one) with the
 * default process metrics (`process_*`, `nodejs_*`), and the download and
 * round metrics of the processes that have them.
 */
export class ProcessMetrics {
  readonly registry = new Registry();
  readonly downloads: DownloadMetrics | undefined;
  readonly rounds: RoundMetrics | undefined;

  constructor(options: ProcessMetricsOptions) {
    this.downloads = options.downloads ? new DownloadMetrics(this.registry) : undefined;
    this.rounds = options.rounds
      ? new RoundMetrics(this.registry, { storeSize: options.besideWebApp !== true })
      : undefined;
    collectProcessMetrics(this.registry);
  }
}
