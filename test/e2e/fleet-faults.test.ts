import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { fleetEnv, roundCompleted, startCoordinator, startWorker } from '../../harness/fleet-processes.js';
import { fleetSuite } from '../../harness/fleet-suite.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { redisServerMissing } from '../../harness/redis-server.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';
import { waitFor } from '../../harness/wait-for.js';

const skip = redisServerMissing();

describe('fleet under faults: killed workers, a Redis restart, a graceful stop', { skip }, () => {
  const suite = fleetSuite({ origin: { latencyMs: 150 }, end: 'stop' });
  const { track } = suite;

  /** A list of `count` distinct images under /`name`/, served by the origin; returns the list file and the bodies. */
  const makeList = async (name: string, count: number): Promise<{ list: string; images: Map<string, Buffer> }> => {
    const images = new Map<string, Buffer>();
    for (let i = 0; i < count; i++) {
      const body = makePng(`${name} ${i}`, 8 + (i % 5));
      images.set(`/${name}/${i}.png`, body);
      suite.origin.set(`/${name}/${i}.png`, { kind: 'image', body });
    }
    const list = join(suite.dir, `${name}.txt`);
    await writeFile(list, [...images.keys()].map((path) => `${suite.origin.url}${path}`).join('\n'));
    return { list, images };
  };
  const assertAllStored = async (store: string, images: Map<string, Buffer>): Promise<RoundSummary> => {
    const summary = JSON.parse(await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
    assert.equal(summary.counts.failed, 0, JSON.stringify(summary.failuresByCode));
    assert.equal(summary.counts.total, images.size);
    for (const entry of summary.entries) {
      assert.ok(
        (await readFile(join(store, entry.path!))).equals(images.get(new URL(entry.url).pathname)!),
        `${entry.path} is byte-exact`,
      );
    }
    assert.equal(
      (await humanFiles(store)).filter((name) => name.endsWith('.part')).length,
      0,
      'no partial file in the human tree',
    );
    return summary;
  };

  it('a worker killed with SIGKILL mid-round: its jobs go to the other worker and the round completes with every image', async () => {
    const env = fleetEnv(suite.redis.url, 'kill');
    const store = join(suite.dir, 'kill-store');
    const { list, images } = await makeList('kill', 40);
    const victim = track(startWorker(env, store, '--concurrency', '4'));
    const survivor = track(startWorker(env, store, '--concurrency', '4'));
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await victim.waitForLog((line) => line.msg === 'url downloaded', 30_000, 'the victim to download something');
    await waitFor(() => suite.origin.stats.inFlight > 0, 5_000, 'downloads in flight');
    victim.child.kill('SIGKILL');
    assert.equal((await victim.done).signal, 'SIGKILL');
    const completed = await roundCompleted(coordinator);
    await assertAllStored(store, images);
    assert.equal((completed.counts as RoundSummary['counts']).downloaded, images.size);
    assert.ok(survivor.logs().some((line) => line.msg === 'url downloaded'));
    // The victim's temp files (if it had opened any) are removed when a worker starts again on that host.
    const restarted = track(startWorker(env, store));
    await restarted.waitForLog((line) => line.msg === 'worker started');
    assert.deepEqual(await tempFiles(store), []);
  });

  it('20 workers killed with SIGKILL one after another at random points of their downloads: the round still completes, byte-exact, temp space reclaimed', async () => {
    const env = fleetEnv(suite.redis.url, 'massacre');
    const store = join(suite.dir, 'massacre-store');
    const { list, images } = await makeList('massacre', 40);
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await coordinator.waitForLog((line) => line.msg === 'round enqueued');
    let killedMidDownload = 0;
    for (let i = 0; i < 20; i++) {
      const victim = startWorker(env, store, '--concurrency', '4');
      // Once it has requests out (the jobs of the workers killed before come back after the stall interval),
      // a random point: while requests wait for the origin (150 ms), while bodies arrive, or between jobs.
      await waitFor(() => suite.origin.stats.inFlight > 0, 15_000, `worker ${i + 1} to start downloading`);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
      if (suite.origin.stats.inFlight > 0) killedMidDownload++;
      victim.child.kill('SIGKILL');
      await victim.done;
    }
    assert.ok(killedMidDownload >= 10, `${killedMidDownload} of 20 kills hit downloads in flight`);
    const survivor = track(startWorker(env, store, '--concurrency', '8'));
    await roundCompleted(coordinator, 1, 120_000);
    const summary = await assertAllStored(store, images);
    assert.equal(summary.counts.downloaded + summary.counts.unchanged, images.size);
    await survivor.stop();
    assert.deepEqual(
      await tempFiles(store),
      [],
      "the survivor removed the victims' temp files when it started, and left none of its own",
    );
  });

  it('a URL that kills every worker taking it: the queue fails its job after 3 stalls, the coordinator enqueues it twice more, then fails it as IMG_ERR_WORKER_LOST and the round completes', async (t) => {
    const env = { ...fleetEnv(suite.redis.url, 'lost'), IMAGE_LOADER_STALLED_INTERVAL: '1s' };
    const store = join(suite.dir, 'lost-store');
    const { list, images } = await makeList('lost', 6);
    const killer = `${suite.origin.url}/lost/killer.png`;
    // The origin holds the request open: the test kills whichever worker sent it, as a crash on that URL would.
    suite.origin.set('/lost/killer.png', {
      kind: 'stall',
      sent: makePng('killer').subarray(0, 16),
      contentLength: 4096,
    });
    await writeFile(list, `${killer}\n${await readFile(list, 'utf8')}`);
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    let kills = 0;
    let completed = false;
    void roundCompleted(coordinator, 1, 110_000).then(
      () => (completed = true),
      () => {},
    );
    while (!completed && kills < 20) {
      const seen = suite.origin.stats.byPath.get('/lost/killer.png') ?? 0;
      // One download at a time, so a kill takes down the killer URL's job alone.
      const victim = startWorker(env, store, '--concurrency', '1');
      await waitFor(
        () => completed || (suite.origin.stats.byPath.get('/lost/killer.png') ?? 0) > seen,
        30_000,
        `worker ${kills + 1} to take the killer URL`,
      );
      victim.child.kill('SIGKILL');
      await victim.done;
      if (!completed) kills++;
    }
    const summary = JSON.parse(await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
    const lost = summary.entries.find((entry) => entry.url === killer);
    assert.equal(lost?.status, 'failed');
    assert.equal(lost?.error?.code, 'IMG_ERR_WORKER_LOST', lost?.error?.message);
    assert.match(lost!.error!.message, /vanished 3 times/);
    // Four deaths fail a job (3 stalls allowed), and the job lives three times: 12, give or take the request already out at a kill.
    t.diagnostic(`${kills} workers killed on the killer URL`);
    assert.ok(kills >= 10 && kills <= 13, `${kills} workers died on it`);
    assert.equal(
      coordinator.logs().filter((line) => line.msg === 'enqueuing again URLs whose jobs were lost').length,
      2,
    );
    for (const [path, body] of images) {
      const entry = summary.entries.find((candidate) => new URL(candidate.url).pathname === path)!;
      assert.equal(entry.status, 'downloaded', `${path}: ${entry.error?.code} ${entry.error?.message}`);
      assert.ok((await readFile(join(store, entry.path!))).equals(body), `${entry.path} is byte-exact`);
    }
    assert.equal(summary.counts.failed, 1);
    assert.deepEqual(summary.failuresByCode, { IMG_ERR_WORKER_LOST: 1 });
  });

  it('Redis stopped and restarted mid-round (AOF): the processes reconnect and no URL is lost', async () => {
    const env = fleetEnv(suite.redis.url, 'outage');
    const store = join(suite.dir, 'outage-store');
    const { list, images } = await makeList('outage', 60);
    const workers = [
      track(startWorker(env, store, '--concurrency', '2')),
      track(startWorker(env, store, '--concurrency', '2')),
    ];
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await waitFor(
      () => workers.flatMap((worker) => worker.logs()).filter((line) => line.msg === 'url downloaded').length >= 8,
      30_000,
      'part of the round',
    );
    await suite.redis.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await suite.redis.start();
    await roundCompleted(coordinator, 1, 90_000);
    const summary = await assertAllStored(store, images);
    assert.equal(summary.counts.downloaded, images.size);
    for (const process of [...workers, coordinator]) assert.equal(process.child.exitCode, null, 'still running');
    assert.ok(workers.some((worker) => worker.logs().some((line) => line.msg === 'redis reachable again')));
  });

  it('Redis killed with SIGKILL mid-round (AOF, fsync every second): the round still completes with every image', async () => {
    const env = fleetEnv(suite.redis.url, 'crash');
    const store = join(suite.dir, 'crash-store');
    const { list, images } = await makeList('crash', 60);
    const workers = [
      track(startWorker(env, store, '--concurrency', '2')),
      track(startWorker(env, store, '--concurrency', '2')),
    ];
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await waitFor(
      () => workers.flatMap((worker) => worker.logs()).filter((line) => line.msg === 'url downloaded').length >= 8,
      30_000,
      'part of the round',
    );
    await suite.redis.stop('SIGKILL');
    await suite.redis.start();
    // Up to a second of writes may be gone: jobs or settlements. The coordinator re-enqueues pending URLs
    // whose job vanished (every 30 s), and a URL downloaded again is unchanged and settles once.
    await roundCompleted(coordinator, 1, 120_000);
    const summary = await assertAllStored(store, images);
    assert.equal(summary.counts.downloaded + summary.counts.unchanged, images.size);
    for (const process of [...workers, coordinator]) assert.equal(process.child.exitCode, null, 'still running');
  });

  it('SIGTERM: a worker finishes its running download and exits 0; past --stop-timeout it hands the job back', async () => {
    const env = fleetEnv(suite.redis.url, 'stop');
    const store = join(suite.dir, 'stop-store');
    const slow = makePng('slow', 20);
    const handedBack = makePng('handed back', 20);
    suite.origin.set('/stop/slow.png', { kind: 'delay', ms: 1_500, then: { kind: 'image', body: slow } });
    // Its first request never answers: the worker holding it must give it back, and the next worker gets an image.
    suite.origin.set('/stop/hang.png', {
      kind: 'sequence',
      steps: [
        { kind: 'delay', ms: 600_000, then: { kind: 'image', body: handedBack } },
        { kind: 'image', body: handedBack },
      ],
    });
    const list = join(suite.dir, 'stop.txt');
    await writeFile(list, `${suite.origin.url}/stop/slow.png\n`);

    const first = track(startWorker(env, store));
    const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await waitFor(
      () => (suite.origin.stats.byPath.get('/stop/slow.png') ?? 0) > 0,
      20_000,
      'the slow download to start',
    );
    const stopping = Date.now();
    first.child.kill('SIGTERM');
    assert.equal((await first.done).code, 0);
    assert.ok(Date.now() - stopping >= 1_000, 'it waited for the download');
    assert.ok(
      first.logs().some((line) => line.msg === 'url downloaded' && String(line.url).endsWith('/stop/slow.png')),
    );
    await roundCompleted(coordinator);

    await writeFile(list, `${suite.origin.url}/stop/hang.png\n`);
    const second = track(startWorker(env, store, '--stop-timeout', '300ms'));
    // A restarted coordinator finds the schedule in place and does not start a round: an operator asks for one.
    assert.equal((await runCli(['round'], { env })).code, 0);
    await waitFor(
      async () => (suite.origin.stats.byPath.get('/stop/hang.png') ?? 0) > 0,
      20_000,
      'the hanging download to start',
    );
    second.child.kill('SIGTERM');
    assert.equal((await second.done).code, 0);
    assert.ok(second.logs().some((line) => line.msg === 'url handed back to the queue (worker stopping)'));
    assert.deepEqual(await tempFiles(store), []);
    const third = track(startWorker(env, store));
    await roundCompleted(coordinator, 2);
    assert.ok(
      third.logs().some((line) => line.msg === 'url downloaded' && String(line.url).endsWith('/stop/hang.png')),
    );
    const summary = JSON.parse(await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
    assert.equal(summary.entries[0]!.status, 'downloaded');
    assert.equal(summary.entries[0]!.attempts, 1, 'handing a job back does not use up an attempt');
  });
});
