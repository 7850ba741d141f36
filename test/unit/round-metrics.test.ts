import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MetricValue } from 'prom-client';
import { Downloader, type DownloadSettings } from '../../core/download/downloader.js';
import type { ListEntry } from '../../core/list/read-url-list.js';
import { observeAttempts } from '../../core/metrics/observe-attempts.js';
import { ProcessMetrics } from '../../core/metrics/process-metrics.js';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runRound } from '../../core/round/run-round.js';
import { ImageStore } from '../../core/store/image-store.js';
import type { UrlMetadata } from '../../core/store/url-metadata.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';

const settings: DownloadSettings = {
  maxBytes: 1_000_000,
  timeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  // The stalled path fails on this idle timeout: IMG_ERR_BODY_TIMEOUT.
  idleTimeoutMs: 300,
  maxRedirects: 5,
  perHost: 8,
  allowPrivate: true,
  allowSvg: false,
  userAgent: 'image-loader-test',
  fsync: false,
  revalidate: 'auto',
};

async function values(metrics: ProcessMetrics, name: string): Promise<MetricValue<string>[]> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  return (await metric.get()).values;
}

async function value(metrics: ProcessMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await values(metrics, name)).find(
    (sample) =>
      Object.keys(labels).length === Object.keys(sample.labels).length &&
      Object.entries(labels).every(([key, text]) => sample.labels[key] === text),
  );
  assert.ok(found, `${name}${JSON.stringify(labels)} has a value`);
  return found.value;
}

describe('metrics after rounds of known outcomes (stored, unchanged, fresh, a 404, a timeout)', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  const images = { a1: makePng('a1', 20), a2: makePng('a2', 24), b: makePng('b', 18), c: makePng('c', 22) };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  test('round and download metrics count each outcome once, with the summary', async () => {
    origin.set('/a.png', {
      kind: 'sequence',
      steps: [
        { kind: 'image', body: images.a1 },
        { kind: 'image', body: images.a2 },
      ],
    });
    origin.set('/b.png', { kind: 'image', body: images.b, etag: true });
    origin.set('/c.png', { kind: 'image', body: images.c, headers: { 'Cache-Control': 'max-age=3600' } });
    origin.set('/stall.png', { kind: 'stall', sent: images.a1.subarray(0, 10), contentLength: 5000 });
    const { store } = await ImageStore.open(dir.path);
    const downloader = new Downloader(store, settings);
    const metrics = new ProcessMetrics({ downloads: true, rounds: true });
    const index = new Map<string, UrlMetadata>();
    const urls = ['/a.png', '/b.png', '/c.png', '/missing.png', '/stall.png'].map((path) => `${origin.url}${path}`);
    const round = async (): Promise<RoundSummary> => {
      const summary = await runRound({
        listName: 'list.txt',
        entries: (async function* () {
          yield* urls.map((url, i): ListEntry => ({ kind: 'url', url, line: i + 1 }));
        })(),
        download: async (url, options) => {
          const { image, metadata } = await downloader.download(url, index.get(url), options);
          index.set(url, metadata);
          return image;
        },
        observeAttempt: observeAttempts(metrics.downloads!),
        concurrency: 4,
        retries: 0,
      });
      metrics.rounds!.observeRound(summary);
      return summary;
    };
    try {
      const first = await round();
      assert.deepEqual([first.counts.downloaded, first.counts.failed], [3, 2]);
      const second = await round();
      assert.deepEqual(
        [second.counts.downloaded, second.counts.unchanged, second.counts.fresh, second.counts.failed],
        [1, 2, 1, 2],
      );

      // The newest complete round, by outcome: the four add up to the list.
      for (const [outcome, count] of Object.entries({ stored: 1, unchanged: 1, fresh: 1, failed: 2 }))
        assert.equal(await value(metrics, 'image_loader_last_round_urls', { outcome }), count, outcome);
      assert.deepEqual(
        (await values(metrics, 'image_loader_last_round_failures'))
          .map((sample) => [sample.labels.code, sample.value])
          .sort(),
        [
          ['IMG_ERR_BODY_TIMEOUT', 1],
          ['IMG_ERR_HTTP_STATUS', 1],
        ],
      );
      assert.equal(await value(metrics, 'image_loader_rounds_total', { result: 'complete' }), 2);
      assert.equal(await value(metrics, 'image_loader_rounds_total', { result: 'aborted' }), 0);
      assert.equal(
        await value(metrics, 'image_loader_last_round_completed_timestamp_seconds'),
        Date.parse(second.finishedAt) / 1000,
      );
      assert.equal(await value(metrics, 'image_loader_last_round_duration_seconds'), second.durationMs / 1000);

      // Every attempt of both rounds.
      assert.equal(await value(metrics, 'image_loader_downloads_total', { outcome: 'stored' }), 4);
      assert.equal(await value(metrics, 'image_loader_downloads_total', { outcome: 'unchanged' }), 1);
      assert.equal(await value(metrics, 'image_loader_downloads_total', { outcome: 'fresh' }), 1);
      assert.equal(
        await value(metrics, 'image_loader_downloads_total', { outcome: 'failed', code: 'IMG_ERR_HTTP_STATUS' }),
        2,
      );
      assert.equal(
        await value(metrics, 'image_loader_downloads_total', { outcome: 'failed', code: 'IMG_ERR_BODY_TIMEOUT' }),
        2,
      );
      assert.equal(
        await value(metrics, 'image_loader_download_bytes_total'),
        images.a1.length + images.b.length + images.c.length + images.a2.length,
      );
      assert.equal(
        first.bytesTransferred + second.bytesTransferred,
        images.a1.length + images.b.length + images.c.length + images.a2.length,
      );
      assert.equal(await value(metrics, 'image_loader_downloads_in_flight'), 0);
      const counts = (await values(metrics, 'image_loader_download_duration_seconds')).filter((sample) =>
        (sample as { metricName?: string }).metricName?.endsWith('_count'),
      );
      assert.equal(
        counts.reduce((sum, sample) => sum + sample.value, 0),
        10,
        'one duration per attempt',
      );
      // The store's size is not exported until a summary reports it.
      assert.equal(metrics.registry.getSingleMetric('image_loader_store_bytes'), undefined);
    } finally {
      await downloader.close();
    }
  });
});
