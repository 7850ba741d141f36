import type { JsonLogger } from '../log/json-logger.js';
import type { ProcessMetrics, ProcessMetricsOptions } from './process-metrics.js';

/** A process's metrics and the server that exports them. */
export interface RunningProcessMetrics extends ProcessMetrics {
  close(): Promise<void>;
}

/**
 * Starts `--metrics-port` when it is set: the registry, and its server on
 * `--metrics-host`. Without the port: undefined, or with `besideWebApp` the
 * registry alone (the web app exports it). Throws
 * IMG_ERR_INVALID_CONFIG when the port cannot be listened on.
 *
 * The registry and its server are imported here, when asked for: prom-client and what it loads take ~45 ms to
 * import (require() alone), which a `fetch` with no metrics need not pay.
 */
export async function startProcessMetrics(
  config: { metricsPort: number | undefined; metricsHost: string },
  options: ProcessMetricsOptions,
  log: JsonLogger | undefined,
): Promise<RunningProcessMetrics | undefined> {
  if (config.metricsPort === undefined && options.besideWebApp !== true) return undefined;
  const { ProcessMetrics } = await import('./process-metrics.js');
  const metrics = new ProcessMetrics(options);
  if (config.metricsPort === undefined) return Object.assign(metrics, { close: async () => {} });
  const { startMetricsServer } = await import('./metrics-server.js');
  const server = await startMetricsServer(metrics.registry, config.metricsHost, config.metricsPort);
  log?.info('metrics listening', {
    url: `http://${server.address.includes(':') ? `[${server.address}]` : server.address}:${server.port}/metrics`,
    address: server.address,
    port: server.port,
  });
  return Object.assign(metrics, { close: () => server.close() });
}
