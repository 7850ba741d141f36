import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import type { Heartbeat } from '../../core/store/heartbeat.js';
import { runCli } from '../../harness/cli-process.js';
import { type FleetProcess, startFleetProcess } from '../../harness/fleet-processes.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { type RedisServer, redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { tempFiles } from '../../harness/store-files.js';

const skip = redisServerMissing();

describe('fleet: a coordinator and two workers on a real Redis', { skip }, () => {
  let redis: RedisServer;
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let coordinator: FleetProcess;
  const workers: FleetProcess[] = [];
  const images = new Map<string, Buffer>();
  const store = (): string => join(dir.path, 'store');
  const fleetEnv = (): Record<string, string> => ({
    IMAGE_LOADER_REDIS: redis.url,
    IMAGE_LOADER_STALLED_INTERVAL: '2s',
  });

  before(async () => {
    dir = await tempDir();
    redis = await startRedisServer({ dir: dir.path });
    origin = await startImageOrigin();
    for (let i = 0; i < 60; i++) images.set(`/img/${i}.png`, makePng(`fleet image ${i}`, 8 + (i % 7)));
    images.set('/big.jpg', makeJpegLike(300_000, 'big'));
    images.set('/flaky.png', makePng('flaky', 9));
    for (const [path, body] of images) origin.set(path, { kind: 'image', body });
    // A transient failure: the queue retries it after a backoff, in its delayed set.
    origin.set('/flaky.png', {
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 503 },
        { kind: 'image', body: images.get('/flaky.png')! },
      ],
    });
    origin.set('/missing.png', { kind: 'status', status: 404 });
    const lines = [...images.keys()].map((path) => `${origin.url}${path}`);
    lines.splice(3, 0, `${origin.url}/img/0.png`, 'not a url', `${origin.url}/missing.png`);
    await writeFile(join(dir.path, 'list.txt'), `${lines.join('\n')}\n`);
    for (let i = 0; i < 2; i++) {
      workers.push(
        startFleetProcess(
          ['worker', '--store', store(), '--allow-private', '--concurrency', '4', '--retries', '1'],
          fleetEnv(),
        ),
      );
    }
    coordinator = startFleetProcess(
      ['coordinator', '--list', join(dir.path, 'list.txt'), '--every', '1h', '--store', store()],
      fleetEnv(),
    );
  });
  after(async () => {
    await Promise.all([coordinator, ...workers].map((process) => process?.stop()));
    await origin?.close();
    await redis?.stop();
    await dir?.remove();
  });

  const roundCommand = async (): Promise<RoundSummary> => {
    const result = await runCli(['round', '--wait'], { env: fleetEnv() });
    assert.equal(result.code, 1, `round --wait exits 1 because of the bad lines; stderr: ${result.stderr}`);
    const status = await runCli(['status', '--json'], { env: fleetEnv() });
    assert.equal(status.code, 1, status.stderr);
    return JSON.parse(status.stdout) as RoundSummary;
  };

  it('runs a first round at once when the schedule is created, storing every image byte-exact', async () => {
    const completed = await coordinator.waitForLog((line) => line.msg === 'round completed', 60_000, 'the first round');
    assert.equal(completed.trigger, 'schedule');
    const summary = JSON.parse(
      await readFile(join(store(), '.image-loader', 'last-round.json'), 'utf8'),
    ) as RoundSummary;
    assert.equal(summary.schema, 'image-loader/round@1');
    assert.equal(summary.roundId, completed.roundId);
    assert.deepEqual(summary.counts, {
      total: images.size + 2,
      downloaded: images.size,
      unchanged: 0,
      fresh: 0,
      failed: 2,
      invalidLines: 1,
      duplicates: 1,
    });
    assert.deepEqual(summary.failuresByCode, { IMG_ERR_HTTP_STATUS: 1, IMG_ERR_INVALID_URL: 1 });
    assert.deepEqual(summary.duplicates, [{ url: `${origin.url}/img/0.png`, line: 4, firstLine: 1 }]);
    for (const entry of summary.entries.filter((e) => e.status !== 'failed')) {
      const body = images.get(new URL(entry.url).pathname)!;
      assert.ok((await readFile(join(store(), entry.path!))).equals(body), `${entry.path} is byte-exact`);
    }
    assert.deepEqual(
      summary.entries.map((entry) => entry.line),
      [...summary.entries.keys()].map((i) => (i < 3 ? i + 1 : i + 2)),
      'entries in list order, with list line numbers',
    );
    assert.equal(
      summary.bytesTransferred,
      [...images.values()].reduce((sum, body) => sum + body.length, 0),
    );
    assert.equal(
      origin.stats.requests,
      images.size + 2,
      'each URL requested once (the 404 is not retried), the 503 twice',
    );
    const flaky = summary.entries.find((entry) => entry.url.endsWith('/flaky.png'))!;
    assert.deepEqual([flaky.status, flaky.attempts], ['downloaded', 2]);
    const retried = workers.flatMap((worker) => worker.logs()).find((line) => line.msg === 'url failed; retrying');
    assert.equal(retried?.url, `${origin.url}/flaky.png`);
    assert.deepEqual(retried?.error, { code: 'IMG_ERR_HTTP_STATUS', message: 'server answered HTTP 503', status: 503 });
    const heartbeat = JSON.parse(await readFile(join(store(), '.image-loader', 'heartbeat.json'), 'utf8')) as Heartbeat;
    assert.equal(heartbeat.lastRoundId, summary.roundId);
    assert.equal(heartbeat.everyMs, 3_600_000);
    assert.deepEqual(await tempFiles(store()), []);
    const workersThatWorked = workers.filter((worker) => worker.logs().some((line) => line.msg === 'url downloaded'));
    assert.equal(workersThatWorked.length, 2, 'both workers took jobs');
    for (const line of workers.flatMap((worker) => worker.logs()).filter((line) => line.msg.startsWith('url '))) {
      assert.equal(line.roundId, summary.roundId, 'every per-URL log line names the round');
      assert.equal(typeof line.url, 'string');
    }
  });

  it('a second round with nothing changed moves 0 body bytes', async () => {
    const bodyBytes = origin.stats.bodyBytes;
    const summary = await roundCommand();
    assert.equal(summary.trigger, 'manual');
    assert.equal(summary.counts.unchanged, images.size);
    assert.equal(summary.counts.downloaded, 0);
    assert.equal(summary.bytesTransferred, 0);
    assert.equal(origin.stats.bodyBytes, bodyBytes, 'the origin sent no body');
    assert.equal(summary.entries.length, images.size + 2, 'status --json carries every entry of the last round');
  });

  it('status --json reads the last round exactly as the store has it: every entry, in list order', async () => {
    const status = await runCli(['status', '--json'], { env: fleetEnv() });
    const fromRedis = JSON.parse(status.stdout) as RoundSummary;
    const fromStore = JSON.parse(
      await readFile(join(store(), '.image-loader', 'last-round.json'), 'utf8'),
    ) as RoundSummary;
    assert.equal(fromRedis.roundId, fromStore.roundId);
    assert.deepEqual(fromRedis.entries, fromStore.entries);
    const lines = fromRedis.entries.map((entry) => entry.line);
    assert.deepEqual(
      lines,
      [...lines].sort((a, b) => a - b),
      'entries in list order, as written at the end of the round',
    );
  });

  it('a changed image at the origin is replaced in the next round', async () => {
    const changed = makePng('changed content', 12);
    origin.set('/img/5.png', { kind: 'image', body: changed });
    const summary = await roundCommand();
    assert.equal(summary.counts.downloaded, 1);
    const entry = summary.entries.find((e) => e.url.endsWith('/img/5.png'))!;
    assert.equal(entry.status, 'downloaded');
    assert.ok((await readFile(join(store(), entry.path!))).equals(changed));
  });

  it('status prints the last round for people, and the history keeps rounds in Redis', async () => {
    const result = await runCli(['status'], { env: fleetEnv() });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /No round in progress/);
    assert.match(result.stdout, /Last completed round: .* \(manual\)/);
    assert.match(result.stdout, /IMG_ERR_HTTP_STATUS \(1\)/);
    assert.equal(redis.cli('LLEN', 'image-loader:fleet:rounds'), '(integer) 3');
    assert.equal(redis.cli('EXISTS', 'image-loader:fleet:round-current'), '(integer) 0');
  });

  it('forgets the metadata of URLs dropped from the list, so Redis follows the list', async () => {
    assert.equal(
      redis.cli('HLEN', 'image-loader:fleet:metadata'),
      `(integer) ${images.size}`,
      'one entry per stored URL (none for the 404)',
    );
    const kept = [...images.keys()].slice(0, 10).map((path) => `${origin.url}${path}`);
    await writeFile(join(dir.path, 'list.txt'), `${kept.join('\n')}\n`);
    const result = await runCli(['round', '--wait'], { env: fleetEnv() });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(redis.cli('HLEN', 'image-loader:fleet:metadata'), '(integer) 10');
  });

  it('a list of 1,500 bad lines: the first 1,000 are listed, the rest counted, the good URLs downloaded', async () => {
    const good = [...images.keys()].slice(0, 5).map((path) => `${origin.url}${path}`);
    const lines = [...good];
    for (let i = 0; i < 1_500; i++) lines.push(i % 2 === 0 ? `not a url ${i}` : `ftp://example.com/${i}.png`);
    await writeFile(join(dir.path, 'list.txt'), `${lines.join('\n')}\n`);
    const result = await runCli(['round', '--wait'], { env: fleetEnv() });
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(
      await readFile(join(store(), '.image-loader', 'last-round.json'), 'utf8'),
    ) as RoundSummary;
    assert.deepEqual(summary.omitted, { invalidLines: 500, duplicates: 0 });
    assert.equal(summary.counts.failed, 1_500);
    assert.equal(summary.counts.total, 1_505);
    assert.deepEqual(summary.failuresByCode, { IMG_ERR_INVALID_URL: 750, IMG_ERR_UNSUPPORTED_SCHEME: 750 });
    assert.equal(summary.entries.filter((entry) => entry.status === 'failed').length, 1_000);
    assert.equal(
      Math.max(...summary.entries.filter((entry) => entry.status === 'failed').map((entry) => entry.line)),
      1_005,
      'the first 1,000 are the ones listed',
    );
    assert.deepEqual(
      summary.entries.filter((entry) => entry.status !== 'failed').map((entry) => entry.url),
      good,
    );
  });
});
