import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import {
  type FleetProcess,
  fleetEnv,
  roundCompleted,
  startCoordinator,
  startWorker,
} from '../../harness/fleet-processes.js';
import { rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike } from '../../harness/origin/sample-images.js';
import { type RedisServer, redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles } from '../../harness/store-files.js';
import { distinctInodeBytes } from '../../harness/store-usage.js';
import { startWebNode, type WebNode } from '../../harness/web-node.js';

const skip = redisServerMissing();
const IMAGES = 30;
const KEPT = 20;
const IMAGE_BYTES = 20_000;
const ROUNDS = 5;
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const version = (i: number, generation: number): Buffer =>
  makeJpegLike(IMAGE_BYTES, `fleet ${i} generation ${generation}`);

describe('fleet: the coordinator prunes after each round while workers write and a web node serves', { skip }, () => {
  let redis: RedisServer;
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let coordinator: FleetProcess;
  let web: WebNode | undefined;
  const workers: FleetProcess[] = [];
  const served = new Map<string, Buffer>();
  const store = (): string => join(dir.path, 'store');
  const list = (): string => join(dir.path, 'list.txt');
  let env: Record<string, string>;

  const serveGeneration = (generation: number): void => {
    for (let i = 0; i < IMAGES; i++) served.set(`/fleet/${i}.jpg`, version(i, generation));
  };
  const writeList = async (count: number): Promise<void> => {
    const urls = Array.from({ length: count }, (_, i) => `${origin.url}/fleet/${i}.jpg`);
    await writeFile(list(), `${urls.join('\n')}\n`);
  };

  before(async () => {
    dir = await tempDir();
    redis = await startRedisServer({ dir: dir.path });
    env = fleetEnv(redis.url, 'prune');
    origin = await startImageOrigin();
    origin.fallback((path) => {
      const body = served.get(path);
      return body === undefined ? undefined : { kind: 'image', body };
    });
    serveGeneration(0);
    await writeList(IMAGES);
    for (let i = 0; i < 2; i++) workers.push(startWorker(env, store(), '--concurrency', '4'));
    coordinator = startCoordinator(
      env,
      list(),
      '--every',
      '1h',
      '--store',
      store(),
      '--keep-replaced',
      '0',
      '--keep-delisted',
      '0',
    );
  });
  after(async () => {
    await Promise.all([coordinator, ...workers, web?.process].map((process) => process?.stop()));
    await origin?.close();
    await redis?.stop();
    await dir?.remove();
  });

  it(`${ROUNDS} rounds of changing images and a shrinking list: the store follows the list, 0 torn or failed reads`, async () => {
    await roundCompleted(coordinator, 1);
    web = await startWebNode(store());
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const get = (path: string) => rawRequest(web!.port, path, { agent });
    const host = new URL(origin.url).host.replace(':', '^3A');
    // Readers of the images listed throughout: every answer a whole version of that image, never a 404 or a mix.
    const versions = Array.from(
      { length: KEPT },
      (_, i) => new Set(Array.from({ length: ROUNDS }, (_, g) => sha(version(i, g)))),
    );
    const reads = { count: 0, problems: [] as string[] };
    let reading = true;
    const reader = async (n: number): Promise<void> => {
      for (let k = n; reading; k += 4) {
        const i = k % KEPT;
        const response = await get(`/${encodeURIComponent(`${host}^.http`)}/fleet/${i}.jpg`);
        reads.count++;
        if (response.status !== 200) reads.problems.push(`${i}: HTTP ${response.status}`);
        else if (!versions[i]!.has(sha(response.body))) reads.problems.push(`${i}: ${response.body.length} torn bytes`);
      }
    };
    const readers = Array.from({ length: 4 }, (_, n) => reader(n));
    try {
      for (let generation = 1; generation < ROUNDS; generation++) {
        serveGeneration(generation);
        const listed = generation >= 3 ? KEPT : IMAGES;
        if (generation === 3) await writeList(KEPT);
        const result = await runCli(['round', '--wait'], { env });
        assert.equal(result.code, 0, result.stderr);
        const status = await runCli(['status', '--json'], { env });
        const summary = JSON.parse(status.stdout) as RoundSummary;
        assert.equal(summary.counts.downloaded, listed);
        assert.equal(summary.prune?.held, undefined);
        assert.equal(summary.store?.liveFiles, listed, `round ${generation + 1}: live names follow the list`);
        assert.equal(summary.store?.liveBytes, listed * IMAGE_BYTES);
        assert.equal(summary.store?.graceFiles, 0);
        assert.equal((await humanFiles(store())).length, listed);
        const disk = await distinctInodeBytes(store());
        assert.ok(disk.bytes <= listed * IMAGE_BYTES * 1.1, `round ${generation + 1}: ${disk.bytes} bytes on disk`);
        for (const entry of summary.entries) {
          const i = Number(/(\d+)\.jpg$/.exec(entry.url)![1]);
          assert.equal(entry.sha256, sha(version(i, generation)));
        }
        const metrics = await get('/metrics');
        assert.match(metrics.body.toString(), new RegExp(`^image_loader_store_bytes ${listed * IMAGE_BYTES}$`, 'm'));
        const text = await runCli(['status'], { env });
        assert.match(text.stdout, new RegExp(`Store size: ${listed} image\\(s\\)`));
      }
    } finally {
      reading = false;
      await Promise.all(readers);
      agent.destroy();
    }
    process.stdout.write(
      `# fleet prune: ${reads.count} reads during ${ROUNDS - 1} rounds, ${reads.problems.length} problems\n`,
    );
    assert.ok(reads.count > 0);
    assert.deepEqual(reads.problems.slice(0, 5), []);
    // `prune` by hand takes the fleet's lock (IMAGE_LOADER_REDIS): nothing left to remove.
    const pruned = await runCli(['prune', '--store', store(), '--keep-replaced', '0', '--json'], { env });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal((JSON.parse(pruned.stdout) as { removedFiles: number }).removedFiles, 0);
  });

  it('a listed URL that fails keeps its image; invalid lines are no listed URLs, and a list of only them removes nothing', async () => {
    // `round --wait` exits 1: URLs failed.
    const round = async (): Promise<RoundSummary> => {
      const result = await runCli(['round', '--wait'], { env });
      assert.equal(result.code, 1, result.stderr);
      return JSON.parse((await runCli(['status', '--json'], { env })).stdout) as RoundSummary;
    };
    const kept = Array.from({ length: KEPT }, (_, i) => `${origin.url}/fleet/${i}.jpg`);
    const lastVersion = served.get('/fleet/5.jpg')!;
    served.delete('/fleet/5.jpg');
    await writeFile(list(), `not a url\n${kept.join('\n')}\nftp://example.com/a.jpg\n`);
    const failing = await round();
    assert.equal(failing.counts.invalidLines, 2);
    assert.equal(failing.counts.failed, 3, JSON.stringify(failing.failuresByCode));
    assert.equal(failing.prune?.held, undefined);
    assert.equal(failing.store?.liveFiles, KEPT);
    assert.equal((await humanFiles(store())).length, KEPT);
    const host = new URL(origin.url).host.replace(':', '^3A');
    const five = await rawRequest(web!.port, `/${encodeURIComponent(`${host}^.http`)}/fleet/5.jpg`);
    assert.equal(five.status, 200);
    assert.equal(sha(five.body), sha(lastVersion));

    // Were the invalid lines counted as listed URLs, this round would delist all 20 (--keep-delisted 0).
    await writeFile(list(), 'not a url\nftp://example.com/a.jpg\n');
    const invalidOnly = await round();
    assert.equal(invalidOnly.prune?.held?.reason, 'no-valid-url');
    assert.equal((await humanFiles(store())).length, KEPT);
  });
});
