import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's gauges named `_total`, which Prometheus's conventions keep
 * for counters (`promtool check metrics` fails on them). Each is the sum over
 * `type` of the gauge of the same name without `_total`, which stays.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** The default process metrics (`process_*`, `nodejs_*`, under `prefix`) in `registry`, without the misnamed ones. */
export function collectProcessMetrics(registry: Registry, prefix = ''): void {
  collectDefaultMetrics({ register: registry, prefix });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(`${prefix}${name}`);
}
