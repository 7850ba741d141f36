import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { roundOutcomes } from '../../core/metrics/round-outcomes.js';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type FleetProcess, roundCompleted, startFleetProcess } from '../../harness/fleet-processes.js';
import { rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { commandAvailable, type PrometheusServer, promtool, startPrometheus } from '../../harness/prometheus.js';
import { type RedisServer, redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';
import { startWebNode, type WebNode } from '../../harness/web-node.js';

const skip =
  (!commandAvailable('prometheus') && 'prometheus is not installed (apt-get install prometheus; .ci/run does)') ||
  redisServerMissing();
if (skip) console.log(`skipping the Prometheus fleet test: ${skip}`);
const TOKEN = 'scraper-token-0123456789abcdef';

describe('a real Prometheus scrapes a coordinator, a dashboard, two workers and a web node for a round', {
  skip,
}, () => {
  let dir: { path: string; remove(): Promise<void> };
  let redis: RedisServer;
  let origin: ImageOrigin;
  let prometheus: PrometheusServer;
  let coordinator: FleetProcess;
  let dashboard: FleetProcess;
  let web: WebNode;
  const workers: FleetProcess[] = [];
  const ports: Record<string, number> = {};
  let summary: RoundSummary;
  const env = (): Record<string, string> => ({ IMAGE_LOADER_REDIS: redis.url, IMAGE_LOADER_STALLED_INTERVAL: '2s' });
  const store = (): string => join(dir.path, 'store');
  const metricsPort = async (process: FleetProcess): Promise<number> =>
    (await process.waitForLog((line) => line.msg === 'metrics listening', 20_000, '"metrics listening"'))
      .port as number;

  before(async () => {
    const startedAt = Date.now();
    dir = await tempDir();
    redis = await startRedisServer({ dir: dir.path });
    origin = await startImageOrigin();
    const lines: string[] = [];
    for (let i = 0; i < 6; i++) {
      origin.set(`/img/${i}.png`, { kind: 'image', body: makePng(`prom ${i}`, 10 + i) });
      lines.push(`${origin.url}/img/${i}.png`);
    }
    origin.set('/missing.png', { kind: 'status', status: 404 });
    lines.push(`${origin.url}/missing.png`, 'not a url');
    await writeFile(join(dir.path, 'list.txt'), `${lines.join('\n')}\n`);
    await writeFile(join(dir.path, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    await writeFile(join(dir.path, 'password'), 'correct horse battery\n', { mode: 0o600 });

    dashboard = startFleetProcess(['dashboard', '--port', '0', '--metrics-token-file', join(dir.path, 'token')], {
      ...env(),
      IMAGE_LOADER_DASHBOARD_USER: 'ops',
      IMAGE_LOADER_DASHBOARD_PASSWORD_FILE: join(dir.path, 'password'),
    });
    for (let i = 0; i < 2; i++)
      workers.push(
        startFleetProcess(
          ['worker', '--store', store(), '--allow-private', '--retries', '0', '--metrics-port', '0'],
          env(),
        ),
      );
    web = await startWebNode(store());
    ports.dashboard = (await dashboard.waitForLog((line) => line.msg === 'dashboard started')).port as number;
    ports.worker0 = await metricsPort(workers[0]!);
    ports.worker1 = await metricsPort(workers[1]!);
    // Workers first: the coordinator starts a round at once.
    coordinator = startFleetProcess(
      ['coordinator', '--list', join(dir.path, 'list.txt'), '--every', '1h', '--store', store(), '--metrics-port', '0'],
      env(),
    );
    ports.coordinator = await metricsPort(coordinator);
    const target = (port: number): string => `127.0.0.1:${port}`;
    prometheus = await startPrometheus(dir.path, [
      { job: 'image-loader-coordinator', targets: [target(ports.coordinator)] },
      { job: 'image-loader-dashboard', targets: [target(ports.dashboard)], bearerTokenFile: join(dir.path, 'token') },
      { job: 'image-loader-worker', targets: [target(ports.worker0), target(ports.worker1)] },
      { job: 'image-loader-web', targets: [target(web.port)] },
    ]);
    await roundCompleted(coordinator, 1, 40_000);
    const status = await runCli(['status', '--json'], { env: env() });
    summary = JSON.parse(status.stdout) as RoundSummary;
    console.log(`fleet, Prometheus and a round ready in ${Date.now() - startedAt} ms`);
  });

  after(async () => {
    const startedAt = Date.now();
    await prometheus?.stop();
    await Promise.all([coordinator, dashboard, ...workers, web?.process].map((process) => process?.stop()));
    await origin?.close();
    await redis?.stop();
    await dir?.remove();
    console.log(`stopped in ${Date.now() - startedAt} ms`);
  });

  /** The single value of `expr` once Prometheus has it (scrapes come every second). */
  const seriesEquals = async (expr: string, expected: number): Promise<void> => {
    let last: unknown;
    await waitFor(
      async () => {
        const result = await prometheus.query(expr);
        last = result.map((sample) => sample.value[1]);
        return result.length === 1 && Number(result[0]!.value[1]) === expected;
      },
      15_000,
      `${expr} == ${expected} in Prometheus`,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last seen: ${JSON.stringify(last)})`);
    });
  };

  it('has every target up, and the shipped rules loaded', async () => {
    await seriesEquals('count(up == 1)', 5);
    const rules = await prometheus.get<{ groups: Array<{ name: string; rules: Array<{ name: string }> }> }>(
      '/api/v1/rules',
    );
    const group = rules.groups.find((found) => found.name === 'image-loader');
    assert.ok(group, 'the image-loader rule group is loaded');
    assert.deepEqual(group.rules.map((rule) => rule.name).sort(), [
      'ImageLoaderNoWorker',
      'ImageLoaderQueueNotDraining',
      'ImageLoaderRedisDown',
      'ImageLoaderRoundFailures',
      'ImageLoaderRoundOverdue',
      'ImageLoaderStoreDiskFull',
      'ImageLoaderWebStoreUnhealthy',
    ]);
  });

  it("finds the dashboard's fleet series with the round summary's values", async () => {
    assert.deepEqual([summary.counts.downloaded, summary.counts.failed], [6, 2], 'the round as planned');
    const outcomes = roundOutcomes(summary);
    for (const [outcome, count] of Object.entries(outcomes))
      await seriesEquals(`image_loader_last_round_urls{outcome="${outcome}"}`, count);
    for (const [code, count] of Object.entries(summary.failuresByCode))
      await seriesEquals(`image_loader_last_round_failures{code="${code}"}`, count);
    await seriesEquals('count(image_loader_last_round_failures)', Object.keys(summary.failuresByCode).length);
    await seriesEquals('image_loader_rounds_total{result="complete"}', 1);
    await seriesEquals('image_loader_rounds_total{result="aborted"}', 0);
    await seriesEquals('image_loader_last_round_completed_timestamp_seconds', Date.parse(summary.finishedAt) / 1000);
    await seriesEquals('image_loader_last_round_duration_seconds', summary.durationMs / 1000);
    for (const state of ['waiting', 'active', 'delayed', 'failed'])
      await seriesEquals(`image_loader_queue_jobs{state="${state}"}`, 0);
    await seriesEquals('image_loader_workers', 2);
    await seriesEquals('image_loader_redis_up', 1);
  });

  it("finds the workers' download series adding up to the round", async () => {
    await seriesEquals('sum(image_loader_downloads_total{outcome="stored"})', summary.counts.downloaded);
    await seriesEquals('sum(image_loader_downloads_total{outcome="failed",code="IMG_ERR_HTTP_STATUS"})', 1);
    await seriesEquals('sum(image_loader_download_bytes_total)', summary.bytesTransferred);
    await seriesEquals('sum(image_loader_downloads_in_flight)', 0);
    // Every URL but the invalid line was one attempt on a worker.
    await seriesEquals('sum(image_loader_download_duration_seconds_count)', 7);
    await seriesEquals('sum(image_loader_host_lease_wait_seconds_count)', 7);
    await seriesEquals('count(process_cpu_seconds_total{job="image-loader-worker"})', 2);
    await seriesEquals('count(process_cpu_seconds_total{job="image-loader-coordinator"})', 1);
  });

  it("finds the web node's series: a healthy, fresh store", async () => {
    // The web node's store gauges are as of its last health check: a load balancer asks /healthz all the time.
    assert.equal((await rawRequest(web.port, '/healthz')).status, 200);
    await seriesEquals('image_loader_store_healthy', 1);
    await seriesEquals('count(image_loader_web_requests_total{job="image-loader-web"}) > 0', 1);
  });

  it('promtool check metrics passes on the dashboard, a worker and the coordinator', async (t) => {
    if (!commandAvailable('promtool')) return t.skip('promtool is not installed (Debian package prometheus)');
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    for (const [name, port, headers] of [
      ['dashboard', ports.dashboard!, bearer],
      ['worker', ports.worker0!, {}],
      ['coordinator', ports.coordinator!, {}],
    ] as const) {
      const response = await rawRequest(port, '/metrics', { headers });
      assert.equal(response.status, 200, name);
      const checked = promtool(['check', 'metrics'], response.body.toString());
      assert.equal(checked.code, 0, `${name}: ${checked.output}`);
    }
  });

  it("/metrics follows the dashboard's auth: credentials or the scraper's token, nothing else", async () => {
    const get = async (headers: Record<string, string>, path = '/metrics'): Promise<number> =>
      (await rawRequest(ports.dashboard!, path, { headers })).status;
    assert.equal(await get({}), 401);
    assert.equal(await get({ Authorization: `Bearer ${TOKEN}x` }), 401);
    assert.equal(await get({ Authorization: `Bearer ${TOKEN}` }), 200);
    assert.equal(await get({ Authorization: `Bearer ${TOKEN}` }, '/rounds'), 401, 'the token opens /metrics alone');
    const basic = `Basic ${Buffer.from('ops:correct horse battery').toString('base64')}`;
    assert.equal(await get({ Authorization: basic }), 200);
  });

  it('a scrape while Redis is down answers 200 with the last known values and image_loader_redis_up 0', async () => {
    await redis.stop();
    const response = await rawRequest(ports.dashboard!, '/metrics', {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, 200);
    const text = response.body.toString();
    assert.match(text, /^image_loader_redis_up 0$/m);
    assert.match(
      text,
      new RegExp(`^image_loader_last_round_urls\\{outcome="stored"\\} ${summary.counts.downloaded}$`, 'm'),
    );
    assert.match(text, /^image_loader_workers 2$/m);
    await seriesEquals('image_loader_redis_up', 0);
    // Back up, so that every process stops at once (a worker's close waits for Redis).
    await redis.start();
    await seriesEquals('image_loader_redis_up', 1);
  });
});
