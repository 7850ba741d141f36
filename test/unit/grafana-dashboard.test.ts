import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Registry } from 'prom-client';
import { FleetMetrics } from '../../coordinator/dashboard/fleet-metrics.js';
import { ProcessMetrics } from '../../core/metrics/process-metrics.js';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { WebMetrics } from '../../web/web-metrics.js';

const DASHBOARD_FILE = new URL('../../../helm-free-deploy/grafana/image-loader-fleet.json', import.meta.url).pathname;

/** Every sample name a registry exports: histograms as their _bucket, _sum and _count. */
async function exportedNames(registry: Registry): Promise<Set<string>> {
  const names = new Set<string>();
  for (const line of (await registry.metrics()).split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type === null) continue;
    const [, name, kind] = type;
    if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    else names.add(name!);
  }
  return names;
}

/** What every process exports: fetch/worker/coordinator (process metrics), the dashboard, a web node. */
async function everyExportedName(): Promise<Set<string>> {
  const fetchLike = new ProcessMetrics({ downloads: true, rounds: true });
  // The store's gauges are registered once a summary reports the store's size.
  fetchLike.rounds!.observeRound({
    roundId: 'r',
    finishedAt: new Date().toISOString(),
    durationMs: 1,
    counts: { total: 0, downloaded: 0, unchanged: 0, failed: 0, invalidLines: 0, duplicates: 0 },
    failuresByCode: {},
    store: { liveBytes: 1, liveFiles: 1, graceBytes: 0, graceFiles: 0 },
  } as unknown as RoundSummary);
  const fleet = new FleetMetrics({
    ledger: undefined as never,
    downloads: undefined as never,
    redisReady: () => false,
    timeoutMs: 1,
  });
  const names = new Set<string>();
  for (const registry of [fetchLike.registry, fleet.registry, new WebMetrics().registry])
    for (const name of await exportedNames(registry)) names.add(name);
  return names;
}

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels or label values. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const withoutLabels = withoutStrings
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const match of withoutLabels.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const next = withoutLabels.slice(match.index! + word.length).trimStart()[0];
    if (next === '(') continue; // a function
    if (/^(and|or|unless|bool|offset|e)$/.test(word)) continue;
    names.push(word);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  test('metricNames finds the metrics of an expression, not its functions or labels', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.95, sum by (le) (rate(a_seconds_bucket{job="x"}[5m]))) / b_total or c'),
      ['a_seconds_bucket', 'b_total', 'c'],
    );
  });

  test('every query names only metrics the processes export', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as {
      title: string;
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    assert.equal(dashboard.title, 'image-loader fleet');
    const exported = await everyExportedName();
    let queries = 0;
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
      for (const target of panel.targets) {
        queries++;
        const names = metricNames(target.expr);
        assert.ok(names.length > 0, `${panel.title}: ${target.expr} names a metric`);
        for (const name of names) assert.ok(exported.has(name), `${panel.title}: ${name} is not exported`);
      }
    }
    assert.ok(queries >= 20, `${queries} queries checked`);
  });

  test('it covers rounds, failures by code, the queue, download rates and web requests', async () => {
    const text = await readFile(DASHBOARD_FILE, 'utf8');
    for (const name of [
      'image_loader_rounds_total',
      'image_loader_last_round_failures',
      'image_loader_queue_jobs',
      'image_loader_downloads_total',
      'image_loader_web_requests_total',
    ])
      assert.ok(text.includes(name), name);
  });
});
