import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DOWNLOADS_QUEUE, jobIdForUrl } from '../../core/fleet/fleet-keys.js';
import { runCli } from '../../harness/cli-process.js';
import {
  type FleetProcess,
  fleetEnv,
  roundCompleted,
  startCoordinator,
  startFleetProcess,
  startWorker,
} from '../../harness/fleet-processes.js';
import { fleetSuite } from '../../harness/fleet-suite.js';
import { freePort } from '../../harness/free-port.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { redisServerMissing } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';
import { waitFor } from '../../harness/wait-for.js';
import { getHealth } from '../../harness/web-node.js';

const skip = redisServerMissing();

/** Every process here runs with --stop-timeout 1s: the promise is an exit within it plus a second. */
const STOP_TIMEOUT = '1s';
const BOUND_MS = 2_000;
const STOP = ['--stop-timeout', STOP_TIMEOUT];

/** SIGTERM, then how the process ended and how long after the signal. */
async function sigterm(process: FleetProcess): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const sentAt = Date.now();
  const exited = new Promise<number>((resolve) => {
    if (process.child.exitCode !== null || process.child.signalCode !== null) resolve(Date.now());
    else process.child.once('exit', () => resolve(Date.now()));
  });
  process.child.kill('SIGTERM');
  const exitedAt = await exited;
  const { code, signal } = await process.done;
  return { code, signal, ms: exitedAt - sentAt };
}

/** SIGTERM and assert a clean exit (0) within the bound; `what` names the process in failures. */
async function assertStopsInBound(process: FleetProcess, what: string): Promise<void> {
  const { code, signal, ms } = await sigterm(process);
  const { stderr } = process.output();
  assert.ok(
    ms <= BOUND_MS,
    `${what} exited ${ms} ms after SIGTERM (bound ${BOUND_MS} ms); stderr: ${stderr.slice(-500)}`,
  );
  assert.equal(signal, null, `${what} ended by its own exit, not killed`);
  assert.equal(code, 0, `${what} exit code; stderr: ${stderr.slice(-500)}`);
}

/** A web node on a free loopback port with the bound's stop timeout; resolves with its port once it listens. */
async function startWeb(store: string): Promise<{ process: FleetProcess; port: number }> {
  const process = startFleetProcess(['web', '--store', store, '--port', '0', '--host', '127.0.0.1', ...STOP]);
  const listening = await process.waitForLog((line) => line.msg === 'web server listening');
  return { process, port: listening.port as number };
}

const unreachable = (line: { msg: string }): boolean => line.msg === 'redis unreachable; waiting for it';

describe('SIGTERM ends every long-running command within --stop-timeout plus a second', { skip }, () => {
  const suite = fleetSuite({ end: 'kill' });
  const { track } = suite;

  /** Images under /`name`/ on the origin, plus `extra` paths; returns the list file, the URLs and the bodies. */
  const makeList = async (name: string, count: number, extra: string[] = []) => {
    const images = new Map<string, Buffer>();
    for (let i = 0; i < count; i++) {
      const body = makePng(`${name} ${i}`, 8 + i);
      images.set(`${suite.origin.url}/${name}/${i}.png`, body);
      suite.origin.set(`/${name}/${i}.png`, { kind: 'image', body });
    }
    const urls = [...images.keys(), ...extra.map((path) => `${suite.origin.url}${path}`)];
    const list = join(suite.dir, `${name}.txt`);
    await writeFile(list, `${urls.join('\n')}\n`);
    return { list, images };
  };
  /** Every image of `images` is in the store byte-exact, and nothing partial is in its human tree. */
  const assertStored = async (store: string, images: Map<string, Buffer>): Promise<void> => {
    const files = await humanFiles(store);
    for (const [url, body] of images) {
      const path = new URL(url);
      const name = files.find((file) => file.endsWith(path.pathname.slice(1)) && file.startsWith('127.0.0.1'));
      assert.ok(name !== undefined, `${url} is stored (human tree: ${files.join(', ')})`);
      assert.ok((await readFile(join(store, name))).equals(body), `${name} is byte-exact`);
    }
    assert.equal(files.length, images.size, `only complete images in the human tree: ${files.join(', ')}`);
  };

  it('at start-up and during an outage (Redis on a closed port): worker, coordinator and dashboard', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const env = fleetEnv(closed, 'closed');
    const list = join(suite.dir, 'closed.txt');
    await writeFile(list, `${suite.origin.url}/never.png\n`);
    const start = (): FleetProcess[] => [
      track(startWorker(env, join(suite.dir, 'closed-store'), ...STOP)),
      track(startCoordinator(env, list, ...STOP)),
      track(startFleetProcess(['dashboard', '--port', '0', ...STOP], env)),
    ];
    // During the outage: each has said it waits for Redis.
    const waiting = start();
    await Promise.all(waiting.map((process) => process.waitForLog(unreachable, 20_000, 'redis unreachable')));
    await Promise.all(
      waiting.map((process, i) => assertStopsInBound(process, ['worker', 'coordinator', 'dashboard'][i]!)),
    );
    // At start-up: the signal comes while each is still loading or connecting. Before Node has installed the
    // handlers the default action ends it (signal SIGTERM); after, it exits 0. Either way: within the bound.
    const starting = start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const process of starting) {
      const { ms, code, signal } = await sigterm(process);
      assert.ok(ms <= BOUND_MS, `exited ${ms} ms after SIGTERM at start-up`);
      assert.ok(code === 0 || signal === 'SIGTERM', `code ${code}, signal ${signal}: ${process.output().stderr}`);
    }
    // The operator commands fail fast with IMG_ERR_REDIS (exit 2) instead of waiting.
    for (const command of ['status', 'round']) {
      const startedAt = Date.now();
      const result = await runCli([command], { env, timeoutMs: 20_000 });
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.match(result.stderr, /IMG_ERR_REDIS/);
      assert.ok(Date.now() - startedAt < 10_000, `${command} failed within 10 s`);
    }
  });

  it('a real redis-server stopped mid-run: worker, coordinator and dashboard stop in bound; store and queue keep everything', async () => {
    const prefix = 'outage';
    const env = fleetEnv(suite.redis.url, prefix);
    const store = join(suite.dir, 'outage-store');
    const { list, images } = await makeList('outage', 3);
    const worker = track(startWorker(env, store, ...STOP));
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store, ...STOP));
    const dashboard = track(startFleetProcess(['dashboard', '--port', '0', ...STOP], env));
    await roundCompleted(coordinator, 1, 30_000);
    await dashboard.waitForLog((line) => line.msg === 'dashboard started');
    const client = new Redis(suite.redis.url, { maxRetriesPerRequest: 0 });
    const durableKeys = async (): Promise<string[]> => {
      const keys = await client.keys(`${prefix}:*`);
      const ttls = await Promise.all(keys.map((key) => client.pttl(key)));
      return keys.filter((_, i) => ttls[i] === -1).sort();
    };
    const before = await durableKeys();
    client.disconnect();

    await suite.redis.stop('SIGTERM');
    await Promise.all(
      [worker, coordinator, dashboard].map((process) => process.waitForLog(unreachable, 20_000, 'redis unreachable')),
    );
    await assertStopsInBound(worker, 'worker');
    await assertStopsInBound(coordinator, 'coordinator');
    await assertStopsInBound(dashboard, 'dashboard');

    await suite.redis.start();
    const again = new Redis(suite.redis.url, { maxRetriesPerRequest: 0 });
    const keys = new Set(await again.keys(`${prefix}:*`));
    again.disconnect();
    assert.deepEqual(
      before.filter((key) => !keys.has(key)),
      [],
      'every durable queue key is still there',
    );
    await assertStored(store, images);
  });

  it('a stalled download: the worker hands its job back and the coordinator stops, both in bound', async () => {
    const prefix = 'stall';
    const env = fleetEnv(suite.redis.url, prefix);
    const store = join(suite.dir, 'stall-store');
    suite.origin.set('/stall/forever.jpg', {
      kind: 'stall',
      sent: Buffer.from([0xff, 0xd8, 0xff]),
      contentLength: 50_000,
    });
    const { list, images } = await makeList('stall', 2, ['/stall/forever.jpg']);
    const worker = track(startWorker(env, store, ...STOP));
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store, ...STOP));
    await worker.waitForLog(
      () => worker.logs().filter((line) => line.msg === 'url downloaded').length === images.size,
      30_000,
      'the two good images',
    );
    await waitFor(() => (suite.origin.stats.byPath.get('/stall/forever.jpg') ?? 0) > 0, 10_000, 'the stalled request');

    await assertStopsInBound(worker, 'worker');
    assert.ok(worker.logs().some((line) => line.msg === 'url handed back to the queue (worker stopping)'));
    const queue = new Queue(DOWNLOADS_QUEUE, { connection: { host: '127.0.0.1', port: suite.redis.port }, prefix });
    const state = await queue.getJobState(jobIdForUrl(`${suite.origin.url}/stall/forever.jpg`));
    await queue.close();
    assert.equal(state, 'waiting', 'the handed-back job is in the queue for the next worker');
    await assertStopsInBound(coordinator, 'coordinator');
    await assertStored(store, images);
    assert.deepEqual(await tempFiles(store), [], 'the abandoned download left no temp file');
  });

  it('a coordinator reading a list URL that never answers hands its round back, in bound', async () => {
    const env = fleetEnv(suite.redis.url, 'silent-list');
    suite.origin.set('/coordinator/silent-list.txt', {
      kind: 'delay',
      ms: 600_000,
      then: { kind: 'status', status: 200 },
    });
    const coordinator = track(startCoordinator(env, `${suite.origin.url}/coordinator/silent-list.txt`, ...STOP));
    await waitFor(
      () => (suite.origin.stats.byPath.get('/coordinator/silent-list.txt') ?? 0) > 0,
      20_000,
      'the list request',
    );
    await assertStopsInBound(coordinator, 'coordinator');
    assert.ok(coordinator.logs().some((line) => line.msg === 'coordinator stopping: round handed back to the queue'));
    assert.ok(!coordinator.logs().some((line) => line.msg === 'cannot read the URL list'), 'no list error recorded');
  });

  it('fetch --every: a stalled download, and a list URL that never answers', async () => {
    const store = join(suite.dir, 'fetch-store');
    suite.origin.set('/fetch/stall.jpg', {
      kind: 'stall',
      sent: Buffer.from([0xff, 0xd8, 0xff]),
      contentLength: 50_000,
    });
    const { list, images } = await makeList('fetch', 2, ['/fetch/stall.jpg']);
    const stalled = track(
      startFleetProcess(['fetch', list, '--store', store, '--every', '1h', '--allow-private', ...STOP]),
    );
    await waitFor(async () => (await humanFiles(store).catch(() => [])).length === images.size, 20_000, 'images');
    await waitFor(() => (suite.origin.stats.byPath.get('/fetch/stall.jpg') ?? 0) > 0, 10_000, 'the stalled request');
    await assertStopsInBound(stalled, 'fetch --every (stalled download)');
    await assertStored(store, images);

    suite.origin.set('/fetch/silent-list.txt', { kind: 'delay', ms: 600_000, then: { kind: 'status', status: 200 } });
    const silent = track(
      startFleetProcess([
        'fetch',
        `${suite.origin.url}/fetch/silent-list.txt`,
        '--store',
        store,
        '--every',
        '1h',
        ...STOP,
      ]),
    );
    await waitFor(() => (suite.origin.stats.byPath.get('/fetch/silent-list.txt') ?? 0) > 0, 20_000, 'the list request');
    await assertStopsInBound(silent, 'fetch --every (list never answers)');
    await assertStored(store, images);
  });

  it('web: a request in progress, and a store that does not exist', async () => {
    const store = join(suite.dir, 'web-store');
    const { list, images } = await makeList('web', 1);
    assert.equal((await runCli(['fetch', list, '--store', store, '--allow-private'])).code, 0);
    const node = await startWeb(store);
    track(node.process);
    // Headers never finished: a request the server is in the middle of reading.
    const socket: Socket = connect(node.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /web/0.png HTTP/1.1\r\nHost: x\r\n');
    await assertStopsInBound(node.process, 'web (request in progress)');
    socket.destroy();
    await assertStored(store, images);

    const missing = await startWeb(existsSync('/proc/self') ? '/proc/x' : join(suite.dir, 'missing'));
    track(missing.process);
    assert.equal((await getHealth(missing.port)).status, 503, 'a missing store is reported, never created');
    await assertStopsInBound(missing.process, 'web (missing store)');
  });
});

describe('a store path that cannot be made a directory: exit 2 at once, naming the path and the errno', () => {
  it('fetch, worker and coordinator with --store under /proc', async (t) => {
    if (!existsSync('/proc/self')) return t.skip('no procfs on this machine');
    const dir = await tempDir();
    const list = join(dir.path, 'list.txt');
    await writeFile(list, 'http://127.0.0.1:1/a.png\n');
    const runs = [
      ['fetch', list, '--store', '/proc/x'],
      ['worker', '--store', '/proc/x/sub', '--redis', 'redis://127.0.0.1:1'],
      ['coordinator', '--list', list, '--store', '/proc/x', '--redis', 'redis://127.0.0.1:1'],
    ];
    try {
      await Promise.all(
        runs.map(async (args) => {
          const startedAt = Date.now();
          const result = await runCli(args, { timeoutMs: 20_000 });
          assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
          assert.match(result.stderr, /IMG_ERR_STORE/);
          assert.match(result.stderr, /ENOENT/);
          assert.match(result.stderr, /'\/proc\/x'/);
          assert.ok(
            Date.now() - startedAt < 10_000,
            `${args[0]} failed at once, not after ${Date.now() - startedAt} ms`,
          );
        }),
      );
    } finally {
      await dir.remove();
    }
  });
});
