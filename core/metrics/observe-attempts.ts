import type { SettleOutcome } from '../round/settle-url.js';
import type { DownloadMetrics } from './download-metrics.js';
import { storedOutcome } from './download-outcome.js';

/**
 * Counts every attempt of a round's settle step (see SettleSteps.observeAttempt), the same in both modes: an
 * attempt that settles its URL counts as its outcome, one to be tried again (or handed back by a stopping
 * worker) as `retried`, with the failure's code.
 */
export function observeAttempts(metrics: DownloadMetrics): () => (outcome: SettleOutcome) => void {
  return () => {
    const end = metrics.start();
    return (outcome) => {
      if (outcome.kind !== 'settled') end('retried', 0, outcome.error.code);
      else if (outcome.entry.status === 'failed') end('failed', 0, outcome.entry.error?.code);
      else end(storedOutcome({ status: outcome.entry.status, fresh: outcome.fresh }), outcome.transferred);
    };
  };
}
