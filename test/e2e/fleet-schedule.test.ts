import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import {
  type FleetProcess,
  fleetEnv,
  roundCompleted,
  startCoordinator,
  startWorker,
} from '../../harness/fleet-processes.js';
import { fleetSuite } from '../../harness/fleet-suite.js';
import type { LogLine } from '../../harness/log-line.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

const skip = redisServerMissing();

describe('fleet: schedule, several coordinators, per-host politeness', { skip }, () => {
  const suite = fleetSuite({ end: 'stop' });
  const { track } = suite;

  const makeList = async (
    name: string,
    count: number,
    behavior?: (i: number) => Parameters<ImageOrigin['set']>[1],
  ): Promise<string> => {
    const paths: string[] = [];
    for (let i = 0; i < count; i++) {
      paths.push(`/${name}/${i}.png`);
      suite.origin.set(`/${name}/${i}.png`, behavior?.(i) ?? { kind: 'image', body: makePng(`${name} ${i}`) });
    }
    const list = join(suite.dir, `${name}.txt`);
    await writeFile(list, paths.map((path) => `${suite.origin.url}${path}`).join('\n'));
    return list;
  };
  const started = (coordinators: FleetProcess[]): LogLine[] =>
    coordinators.flatMap((c) => c.logs()).filter((line) => line.msg === 'round started');

  it('two coordinators with a 2 s interval: exactly one round per interval, each run by one of them', async () => {
    const env = fleetEnv(suite.redis.url, 'twins');
    const list = await makeList('twins', 5);
    const store = join(suite.dir, 'twins-store');
    track(startWorker(env, store));
    const coordinators = [
      track(startCoordinator(env, list, '--every', '2s', '--store', store)),
      track(startCoordinator(env, list, '--every', '2s', '--store', store)),
    ];
    const since = Date.now();
    await waitFor(() => started(coordinators).length >= 4, 20_000, '4 rounds');
    const elapsed = Date.now() - since;
    const rounds = started(coordinators);
    const times = rounds.map((line) => Date.parse(line.time)).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++)
      assert.ok(
        times[i]! - times[i - 1]! >= 1_500,
        `rounds ${i} and ${i + 1} started ${times[i]! - times[i - 1]!} ms apart`,
      );
    assert.ok(rounds.length <= Math.ceil(elapsed / 2_000) + 1, `${rounds.length} rounds in ${elapsed} ms`);
    assert.equal(new Set(rounds.map((line) => line.roundId)).size, rounds.length);
    assert.equal(
      coordinators.flatMap((c) => c.logs()).filter((line) => line.msg === 'round schedule created').length,
      1,
      'one of them created the schedule',
    );
    for (const coordinator of coordinators) await coordinator.stop();
  });

  it('a round longer than the interval: the next start is skipped, and the summary says so', async () => {
    const env = fleetEnv(suite.redis.url, 'slow');
    const list = await makeList('slow', 3, (i) =>
      i === 0
        ? { kind: 'delay', ms: 4_500, then: { kind: 'image', body: makePng('slow') } }
        : { kind: 'image', body: makePng(`slow ${i}`) },
    );
    const store = join(suite.dir, 'slow-store');
    track(startWorker(env, store));
    const coordinator = track(startCoordinator(env, list, '--every', '2s', '--store', store));
    await coordinator.waitForLog((line) => line.msg === 'round started');
    // An operator asking for a round meanwhile waits for the one that follows the running round, and gets its summary.
    const requested = await runCli(['round', '--wait'], { env });
    assert.equal(requested.code, 0, requested.stderr);
    assert.match(requested.stderr, /was running; another starts when it ends; waiting for that one/);
    assert.match(requested.stdout, /^Round finished in .*: 0 downloaded, 3 unchanged, 0 failed/);
    const first = await roundCompleted(coordinator, 1, 30_000);
    assert.ok((first.skippedStarts as number) >= 1, `skippedStarts = ${first.skippedStarts}`);
    assert.ok(
      coordinator
        .logs()
        .some(
          (line) =>
            line.msg === 'round start skipped: the previous round is still running' && line.roundId === first.roundId,
        ),
    );
    const summary = JSON.parse(await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
    // The store holds the newest round (by now the one that followed the request): it says the same as its log line.
    const logged = coordinator
      .logs()
      .find((line) => line.msg === 'round completed' && line.roundId === summary.roundId);
    assert.equal(summary.skippedStarts, logged?.skippedStarts);
    await coordinator.stop();
  });

  it('the per-host cap holds across two workers (counted at the origin)', async () => {
    const slowOrigin = await startImageOrigin({ latencyMs: 100 });
    try {
      const paths = Array.from({ length: 40 }, (_, i) => `/polite/${i}.png`);
      for (const path of paths) slowOrigin.set(path, { kind: 'image', body: makePng(path) });
      const list = join(suite.dir, 'polite.txt');
      await writeFile(list, paths.map((path) => `${slowOrigin.url}${path}`).join('\n'));
      for (const [prefix, cap] of [
        ['polite', 3],
        ['impolite', 16],
      ] as const) {
        slowOrigin.resetStats();
        const env = fleetEnv(suite.redis.url, prefix);
        const store = join(suite.dir, `${prefix}-store`);
        // Above 10 downloads at once: also shows the abort signal they share raises no listener-leak warning.
        const workers = [
          track(startWorker(env, store, '--concurrency', '12', '--fleet-per-host', String(cap))),
          track(startWorker(env, store, '--concurrency', '12', '--fleet-per-host', String(cap))),
        ];
        const coordinator = track(startCoordinator(env, list, '--every', '1h', '--store', store));
        const completed = await roundCompleted(coordinator, 1, 60_000);
        assert.equal((completed.counts as RoundSummary['counts']).downloaded, paths.length);
        for (const worker of workers)
          assert.ok(
            worker.logs().some((line) => line.msg === 'url downloaded'),
            'both workers downloaded',
          );
        if (cap === 3)
          assert.equal(slowOrigin.stats.maxInFlight, 3, 'never more than 3 requests at once, and the cap was reached');
        else
          assert.ok(
            slowOrigin.stats.maxInFlight > 3,
            `without the cap, ${slowOrigin.stats.maxInFlight} at once: the cap above was what held`,
          );
        await Promise.all([...workers, coordinator].map((process) => process.stop()));
        for (const worker of workers) assert.doesNotMatch(worker.output().stderr, /MaxListenersExceededWarning/);
      }
    } finally {
      await slowOrigin.close();
    }
  });

  it('a coordinator killed mid-round: a standby takes the round over and completes it', async () => {
    const env = fleetEnv(suite.redis.url, 'takeover');
    const list = await makeList('takeover', 6, (i) => ({
      kind: 'delay',
      ms: 1_500,
      then: { kind: 'image', body: makePng(`takeover ${i}`) },
    }));
    const store = join(suite.dir, 'takeover-store');
    track(startWorker(env, store));
    const active = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await active.waitForLog((line) => line.msg === 'round enqueued');
    const standby = track(startCoordinator(env, list, '--every', '1h', '--store', store));
    await standby.waitForLog((line) => line.msg === 'coordinator started');
    active.child.kill('SIGKILL');
    const completed = await roundCompleted(standby, 1, 30_000);
    assert.equal((completed.counts as RoundSummary['counts']).downloaded, 6);
    assert.ok(standby.logs().some((line) => line.msg === 'taking over a round whose coordinator stopped'));
    assert.equal(started([active, standby]).length, 1, 'still one round');
  });

  it('a coordinator killed mid-enqueue of a large list: a standby resumes the enqueue, every URL queued exactly once', async () => {
    const env = fleetEnv(suite.redis.url, 'midenqueue');
    const urls = 30_000;
    const list = join(suite.dir, 'midenqueue.txt');
    // Never fetched (no worker runs): this is about what lands in the queue.
    await writeFile(list, Array.from({ length: urls }, (_, i) => `http://127.0.0.1:9/big/${i}.png`).join('\n'));
    const first = track(startCoordinator(env, list, '--every', '1h'));
    await first.waitForLog((line) => line.msg === 'round started', 20_000);
    await waitFor(
      () =>
        Number(
          suite.redis
            .cli(
              'HLEN',
              `midenqueue:fleet:round:${first.logs().find((line) => line.msg === 'round started')!.roundId as string}:pending`,
            )
            .replace(/\D/g, ''),
        ) >= 2000,
      20_000,
      'part of the list enqueued',
    );
    first.child.kill('SIGKILL');
    await first.done;
    assert.ok(!first.logs().some((line) => line.msg === 'round enqueued'), 'killed before the whole list was enqueued');
    const standby = track(startCoordinator(env, list, '--every', '1h'));
    const enqueued = await standby.waitForLog((line) => line.msg === 'round enqueued', 30_000);
    assert.ok(standby.logs().some((line) => line.msg === 'taking over a round whose coordinator stopped'));
    assert.equal(enqueued.urls, urls);
    const count = (key: string): number => Number(suite.redis.cli(...key.split(' ')).replace(/\D/g, ''));
    // The batch the first coordinator recorded but did not get to add is found and added by the standby.
    await waitFor(() => count('LLEN midenqueue:downloads:wait') === urls, 10_000, 'every URL to have a waiting job');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(count('LLEN midenqueue:downloads:wait'), urls, 'every URL has exactly one waiting job, none twice');
    assert.equal(count(`HLEN midenqueue:fleet:round:${enqueued.roundId as string}:pending`), urls);
    await standby.stop();
  });

  it('reads the list from an http:// URL, and reports a list it cannot read without stopping', async () => {
    const env = fleetEnv(suite.redis.url, 'remote');
    const store = join(suite.dir, 'remote-store');
    await makeList('remote', 4);
    suite.origin.set('/lists/remote.txt', {
      kind: 'image',
      body: Buffer.from([0, 1, 2, 3].map((i) => `${suite.origin.url}/remote/${i}.png`).join('\n')),
      contentType: 'text/plain',
    });
    track(startWorker(env, store));
    const coordinator = track(
      startCoordinator(env, `${suite.origin.url}/lists/remote.txt`, '--every', '1h', '--store', store),
    );
    const first = await roundCompleted(coordinator);
    assert.equal((first.counts as RoundSummary['counts']).downloaded, 4);
    suite.origin.set('/lists/remote.txt', { kind: 'status', status: 503 });
    assert.equal((await runCli(['round'], { env })).code, 0);
    const second = await roundCompleted(coordinator, 2);
    assert.equal((second.listError as { code: string }).code, 'IMG_ERR_LIST_UNREADABLE');
    assert.match((second.listError as { message: string }).message, /HTTP 503/);
    assert.equal(coordinator.child.exitCode, null);
  });

  it('warns at start when Redis may evict keys or runs without AOF', async () => {
    const lossy = await startRedisServer({
      dir: await tempDir().then((d) => d.path),
      appendonly: false,
      maxmemoryPolicy: 'allkeys-lru',
    });
    try {
      const worker = track(startWorker(fleetEnv(lossy.url, 'lossy'), join(suite.dir, 'lossy-store')));
      const eviction = await worker.waitForLog((line) => line.level === 'warn' && /maxmemory-policy/.test(line.msg));
      assert.match(eviction.msg, /allkeys-lru.*noeviction/);
      await worker.waitForLog((line) => line.level === 'warn' && /appendonly/.test(line.msg));
      await worker.stop();
    } finally {
      await lossy.stop();
    }
  });

  it('operator commands fail fast and clearly when Redis is unreachable, and reject bad settings', async () => {
    const unreachable = await runCli(['status'], { env: { IMAGE_LOADER_REDIS: 'redis://127.0.0.1:1' } });
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /IMG_ERR_REDIS: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    const badUrl = await runCli(['worker', '--redis', 'http://x']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--redis: expected a redis:\/\/ or rediss:\/\/ URL/);
    const noList = await runCli(['coordinator'], { env: { IMAGE_LOADER_LIST: '' } });
    assert.equal(noList.code, 2);
    assert.match(noList.stderr, /coordinator needs --list LIST/);
    const badPrefix = await runCli(['status', '--prefix', 'a:b']);
    assert.equal(badPrefix.code, 2);
    assert.match(badPrefix.stderr, /--prefix: expected 1 to 64 letters/);
    const password = await runCli(['status', '--redis-password-file', join(suite.dir, 'nope')]);
    assert.equal(password.code, 2);
    assert.match(password.stderr, /cannot read the Redis password file .*nope: ENOENT/);
  });
});
