import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../core/metrics/default-metrics.js';
import { clusterMetricsText } from './cluster-metrics.js';
import type { RecordedStoreUsage } from './store-usage-reader.js';

/** Where the web node's gauges read their values at each scrape, and what /metrics exports beside them. */
export interface WebMetricSources {
  /** The store's size from the last round's summary; undefined before a round recorded it. */
  storeUsage?: () => Promise<RecordedStoreUsage | undefined>;
  /**
   * The store's health as this process's probe sees it: every process (each worker of `--workers N`) probes on
   * its own, so the gauges never wait for a `/healthz` request to reach it.
   */
  storeVerdict?: () => Promise<{ healthy: boolean; storeAgeMs?: number | undefined }>;
  /** The image cache's own count of its bytes, when the cache is on. */
  imageCacheBytes?: () => number;
  /** Registries exported beside this one (`fetch --serve`: its round and download metrics); their names must differ. */
  others?: Registry[] | undefined;
  /** A worker of `--workers N`: /metrics answers the sum over all workers (cluster-metrics.ts). */
  clustered?: boolean | undefined;
}

/**
 * The web node's Prometheus metrics, in a registry of its own (no process-wide default registry). Under
 * `--workers N` the primary sums the workers' registries (cluster-metrics.ts): a gauge that every worker reads
 * from the same source says how its values combine (`aggregator`); the others add up.
 */
export class WebMetrics {
  readonly registry = new Registry();
  /** Where /metrics reads its text in a worker of `--workers N`: the sum over all workers. */
  private readonly clusterText: (() => Promise<string>) | undefined;
  readonly requests = new Counter({
    name: 'image_loader_web_requests_total',
    help: 'HTTP requests answered, by method and status.',
    labelNames: ['method', 'status'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'image_loader_web_response_bytes_total',
    help: 'Response body bytes sent.',
    registers: [this.registry],
  });
  readonly storeAge: Gauge = new Gauge({
    name: 'image_loader_store_age_seconds',
    help: "Age of the store's last heartbeat (or last round), as of the last health check.",
    registers: [this.registry],
    aggregator: 'max',
    collect: async (): Promise<void> => {
      const verdict = await this.sources.storeVerdict?.();
      if (verdict?.storeAgeMs !== undefined) this.storeAge.set(verdict.storeAgeMs / 1000);
    },
  });
  readonly listingRenders = new Counter({
    name: 'image_loader_web_listing_renders_total',
    help: 'Folder listings rendered (a folder read and its page built), by view; the other listing requests were answered from a kept or shared rendering.',
    labelNames: ['view'] as const,
    registers: [this.registry],
  });
  readonly listingCacheBytes = new Gauge({
    name: 'image_loader_web_listing_cache_bytes',
    help: 'Bytes of rendered folder listings kept in memory.',
    registers: [this.registry],
  });
  readonly imageCacheHits = new Counter({
    name: 'image_loader_web_image_cache_hits_total',
    help: 'Image requests answered from the in-memory image cache (the name revalidated, the store not read).',
    registers: [this.registry],
  });
  readonly imageCacheMisses = new Counter({
    name: 'image_loader_web_image_cache_misses_total',
    help: 'Image requests answered by reading the store while the image cache is on (then kept when small enough).',
    registers: [this.registry],
  });
  readonly imageCacheBytes: Gauge = new Gauge({
    name: 'image_loader_web_image_cache_bytes',
    help: 'Bytes the image cache holds (bodies plus a fixed overhead per entry), at most --cache-size.',
    registers: [this.registry],
    collect: (): void => this.imageCacheBytes.set(this.sources.imageCacheBytes?.() ?? 0),
  });
  readonly storeHealthy: Gauge = new Gauge({
    name: 'image_loader_store_healthy',
    help: '1 when the store is readable and fresh, 0 otherwise, as of the last health check.',
    registers: [this.registry],
    aggregator: 'min',
    collect: async (): Promise<void> => {
      const verdict = await this.sources.storeVerdict?.();
      if (verdict !== undefined) this.storeHealthy.set(verdict.healthy ? 1 : 0);
    },
  });

  constructor(private readonly sources: WebMetricSources = {}) {
    if (sources.clustered) this.clusterText = clusterMetricsText(this.registry);
    const usage = (pick: (recorded: RecordedStoreUsage) => number) =>
      async function (this: Gauge) {
        const recorded = await sources.storeUsage?.();
        if (recorded) this.set(pick(recorded));
      };
    new Gauge({
      name: 'image_loader_store_bytes',
      help: "Bytes of the store's live images (distinct files its human names link), as the last round recorded.",
      registers: [this.registry],
      aggregator: 'max',
      collect: usage((recorded) => recorded.liveBytes),
    });
    new Gauge({
      name: 'image_loader_store_files',
      help: 'Human names in the store (stored images), as the last round recorded.',
      registers: [this.registry],
      aggregator: 'max',
      collect: usage((recorded) => recorded.liveFiles),
    });
    new Gauge({
      name: 'image_loader_store_grace_bytes',
      help: 'Bytes of replaced versions kept for --keep-replaced, as the last round recorded.',
      registers: [this.registry],
      aggregator: 'max',
      collect: usage((recorded) => recorded.graceBytes),
    });
    collectProcessMetrics(this.registry, 'image_loader_web_');
  }

  /** The exposition text of this registry and the others. */
  async text(): Promise<string> {
    if (this.clusterText !== undefined) return this.clusterText();
    const texts = await Promise.all(
      [this.registry, ...(this.sources.others ?? [])].map((registry) => registry.metrics()),
    );
    return texts.map((text) => (text.endsWith('\n') ? text : `${text}\n`)).join('');
  }
}
