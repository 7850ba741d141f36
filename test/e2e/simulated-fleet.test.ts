import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { ganeshaMissing, startGanesha } from '../../harness/ganesha-server.js';
import { type GroupProcess, startGroupProcess } from '../../harness/group-process.js';
import { type NamespaceHttpClient, startNamespaceHttpClient } from '../../harness/namespace-http-client.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { redisServerMissing } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { createSimNetwork, ipNetnsMissing, type SimNetwork } from '../../harness/sim-network.js';

// The fleet of the deployment (helm-free-deploy/, nfs/) on one machine: a
// network namespace per host on a private LAN of the test's own, the central
// host's store exported by nfs-ganesha, and web nodes that see the store
// through a read-only bind mount (this kernel has no NFS client; nfs-cat from
// libnfs reads the export in their place).

const CLI = new URL('../../cli/image-loader.cjs', import.meta.url).pathname;
const ORIGIN_MAIN = new URL('../../harness/origin/namespace-origin-main.js', import.meta.url).pathname;
const SHIPPED_REDIS_CONF = new URL('../../../helm-free-deploy/redis/image-loader.conf', import.meta.url).pathname;
const HOSTS = ['origin', 'central', 'web1', 'web2'] as const;
type Host = (typeof HOSTS)[number];
/** A private range of this test's own, never routed from the host namespace. */
const SUBNET = '10.231.5';
/** The image-loader user's fixed uid/gid, which NFS squashes every client to. */
const IMAGE_LOADER_ID = 2950;
const AS_IMAGE_LOADER = ['setpriv', `--reuid=${IMAGE_LOADER_ID}`, `--regid=${IMAGE_LOADER_ID}`, '--clear-groups'];
const WEB_PORT = 8080;
const REDIS_PASSWORD = 'simulated-fleet-password';

function commandMissing(command: string, pkg: string): string | false {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
    ? false
    : `${command} is not installed (apt-get install ${pkg}; .ci/run does)`;
}

function whyNot(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, mounts, running services as uid 2950)';
  return (
    ipNetnsMissing() ||
    redisServerMissing() ||
    ganeshaMissing() ||
    commandMissing('nfs-cat', 'libnfs-utils') ||
    commandMissing('nfs-cp', 'libnfs-utils') ||
    commandMissing('nsenter', 'util-linux') ||
    commandMissing('setpriv', 'util-linux') ||
    readOnlyBindMountMissing()
  );
}

function readOnlyBindMountMissing(): string | false {
  const probe = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount --bind / /mnt && mount -o remount,bind,ro /mnt'], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? false : `unshare --mount with a read-only bind mount failed here: ${probe.stderr.trim()}`;
}

const skip = whyNot();
if (skip) process.stdout.write(`# skipping the simulated fleet test: ${skip}\n`);

/** The images the origin serves, by URL path (files under its directory). */
const IMAGES = new Map<string, Buffer>([
  ['/img/1.png', makePng('fleet one', 10)],
  ['/img/2.png', makePng('fleet two', 14)],
  ['/img/3.png', makePng('fleet three', 20)],
  ['/photos/cat.jpg', makeJpegLike(150_000, 'cat')],
  ['/avatar', makePng('no extension', 8)],
]);

describe('the simulated fleet: origin, central (Redis, coordinator, 2 workers, nfs-ganesha), 2 web nodes in network namespaces', {
  skip,
}, () => {
  let dir: { path: string; remove(): Promise<void> };
  let net: SimNetwork<Host>;
  let client: NamespaceHttpClient;
  let originUrl = '';
  let coordinator: GroupProcess;
  const processes: GroupProcess[] = [];
  const web = new Map<'web1' | 'web2', { process: GroupProcess; view: string }>();
  const store = (): string => join(dir.path, 'store');
  const addr = (host: Host): string => net.hosts[host].address;
  const inNs = (host: Host, argv: string[]): string[] => net.exec(host, argv);
  const fleetEnv = (): Record<string, string> => ({
    IMAGE_LOADER_REDIS: `redis://${addr('central')}:6379`,
    IMAGE_LOADER_REDIS_PASSWORD_FILE: join(dir.path, 'redis-password'),
    IMAGE_LOADER_STALLED_INTERVAL: '5s',
  });
  const start = (label: string, argv: string[], env: Record<string, string> = {}): GroupProcess => {
    const started = startGroupProcess(label, argv, env);
    processes.push(started);
    return started;
  };
  /** Runs a command to its end inside a host's namespace (with its output as bytes, for nfs-cat). */
  const runIn = (host: Host, argv: string[], env: Record<string, string> = {}) => {
    const [command, ...args] = inNs(host, argv);
    return spawnSync(command!, args, { env: { ...process.env, ...env }, timeout: 60_000 });
  };
  const nfsUrl = (path: string): string => `nfs://${addr('central')}/image-loader/${path}?version=4`;
  const webUrl = (host: 'web1' | 'web2', path: string): string =>
    `http://${addr(host)}:${WEB_PORT}/${path.split('/').map(encodeURIComponent).join('/')}`;
  const lastRound = async (): Promise<RoundSummary> =>
    JSON.parse(await readFile(join(store(), '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
  const bindReadOnly = (view: string): string =>
    `mount --bind "${store()}" "${view}" && mount -o remount,bind,ro "${view}"`;

  before(async () => {
    dir = await tempDir('image-loader-sim-fleet-');
    // Services run as the image-loader user (uid 2950), as in the deployment: it must reach its files.
    await chmod(dir.path, 0o755);
    net = createSimNetwork(HOSTS, SUBNET);

    const originDir = join(dir.path, 'origin');
    for (const [path, body] of IMAGES) {
      await mkdir(join(originDir, path, '..'), { recursive: true });
      await writeFile(join(originDir, path), body);
    }
    const origin = start(
      'the origin',
      inNs('origin', [process.execPath, ORIGIN_MAIN, '--host', addr('origin'), '--dir', originDir]),
    );
    originUrl = (await origin.waitForOutput(/"url":"([^"]+)"/, 10_000, '"origin listening"'))[1]!;
    await writeFile(
      join(dir.path, 'urls.txt'),
      `# the simulated fleet's list\n${[...IMAGES.keys()].map((path) => `${originUrl}${path}`).join('\n')}\n`,
    );

    // Central: Redis with the shipped settings, bound to the central host's address, with a password read from a file.
    const redisDir = join(dir.path, 'redis');
    await mkdir(redisDir);
    const redisConf = join(redisDir, 'redis.conf');
    await writeFile(
      redisConf,
      `${await readFile(SHIPPED_REDIS_CONF, 'utf8')}\n# the simulated fleet's values (later lines win)\nbind 127.0.0.1 ${addr('central')}\nrequirepass ${REDIS_PASSWORD}\n`,
    );
    await writeFile(join(dir.path, 'redis-password'), `${REDIS_PASSWORD}\n`, { mode: 0o640 });
    await chown(join(dir.path, 'redis-password'), 0, IMAGE_LOADER_ID);
    const redis = start(
      'redis-server',
      inNs('central', [
        'redis-server',
        redisConf,
        '--port',
        '6379',
        '--dir',
        redisDir,
        '--daemonize',
        'no',
        '--logfile',
        '',
      ]),
    );
    await redis.waitForOutput(/Ready to accept connections/, 10_000, '"Ready to accept connections"');
    assert.ok((await stat(join(redisDir, 'appendonlydir'))).isDirectory(), 'AOF is on (the shipped configuration)');

    await mkdir(join(store()));
    await chown(store(), IMAGE_LOADER_ID, IMAGE_LOADER_ID);
    await startGanesha(inNs('central', []), join(dir.path, 'ganesha'), {
      STORE: store(),
      BIND_ADDR: addr('central'),
      NFS_PORT: 2049,
      RW_CLIENTS: [addr('central')],
      RO_CLIENTS: [addr('web1'), addr('web2')],
    }).then((ganesha) => processes.push(ganesha.process));

    const workers = [1, 2].map((n) =>
      start(
        `worker ${n}`,
        inNs('central', [
          ...AS_IMAGE_LOADER,
          process.execPath,
          CLI,
          'worker',
          '--store',
          store(),
          '--allow-private',
          '--concurrency',
          '4',
        ]),
        fleetEnv(),
      ),
    );
    for (const worker of workers) await worker.waitForOutput(/"worker started"/, 15_000, '"worker started"');
    coordinator = start(
      'the coordinator',
      inNs('central', [
        ...AS_IMAGE_LOADER,
        process.execPath,
        CLI,
        'coordinator',
        '--list',
        join(dir.path, 'urls.txt'),
        '--every',
        '1h',
        '--store',
        store(),
      ]),
      fleetEnv(),
    );

    for (const host of ['web1', 'web2'] as const) {
      const view = join(dir.path, `${host}-store`);
      await mkdir(view);
      // A mount namespace of its own (the web node's "NFS mount"), then the web node as the image-loader user.
      const script = `${bindReadOnly(view)} && exec ${AS_IMAGE_LOADER.join(' ')} "${process.execPath}" "${CLI}" web --store "${view}" --port ${WEB_PORT} --host 0.0.0.0`;
      const node = start(host, inNs(host, ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script]));
      web.set(host, { process: node, view });
    }
    for (const { process: node } of web.values())
      await node.waitForOutput(/"web server listening"/, 15_000, '"web server listening"');
    client = startNamespaceHttpClient(inNs('origin', []));
    processes.push(client.process);
  });

  after(async () => {
    // Every process (each in a process group of its own), then the namespaces, then the files; each step runs whatever failed before.
    await client?.close().catch(() => {});
    await Promise.allSettled(processes.map((running) => running.stop(3_000)));
    net?.remove();
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    if (dir && mounts.includes(dir.path))
      process.stdout.write(`# simulated fleet: a mount under ${dir.path} outlived its namespace\n`);
    await dir?.remove();
  });

  it('after the first round, every image is served byte-exact by web1 and web2, and by the NFS export', async () => {
    await coordinator.waitForOutput(/"round completed"/, 30_000, 'the first round');
    const summary = await lastRound();
    assert.deepEqual(summary.counts, {
      total: IMAGES.size,
      downloaded: IMAGES.size,
      unchanged: 0,
      fresh: 0,
      failed: 0,
      invalidLines: 0,
      duplicates: 0,
    });
    for (const entry of summary.entries) {
      const expected = IMAGES.get(new URL(entry.url).pathname)!;
      assert.equal(
        (await stat(join(store(), entry.path!))).uid,
        IMAGE_LOADER_ID,
        'workers write as the image-loader user',
      );
      for (const host of ['web1', 'web2'] as const) {
        const response = await client.get(webUrl(host, entry.path!));
        assert.equal(response.status, 200, `${host} ${entry.path}`);
        assert.ok(response.body.equals(expected), `${host} serves ${entry.path} byte-exact`);
      }
      const nfs = runIn('web1', ['nfs-cat', nfsUrl(entry.path!)]);
      assert.equal(nfs.status, 0, `nfs-cat ${entry.path}: ${nfs.stderr}`);
      assert.ok(nfs.stdout.equals(expected), `the NFS export serves ${entry.path} byte-exact`);
    }
    for (const host of ['web1', 'web2'] as const) {
      // A verdict may come from a look taken before the heartbeat existed, for up to half a second.
      const health = await client.poll(webUrl(host, 'healthz'), 200, 2_000);
      assert.equal(health.status, 200, `${host}: ${health.body}`);
      assert.equal((JSON.parse(health.body.toString()) as { lastRoundId: string }).lastRoundId, summary.roundId);
    }
  });

  it('a web node cannot write the store: EROFS in its mount namespace, NFS4ERR_ROFS through the export; the central host can, as uid 2950', async () => {
    const { process: web1, view } = web.get('web1')!;
    // As the image-loader user, who owns every file of the store, and as root.
    const attempt = `try { require('fs').writeFileSync(${JSON.stringify(join(view, '.image-loader', 'tmp', 'web-write-probe'))}, 'x'); console.log('WROTE') } catch (e) { console.log(e.code) }`;
    for (const user of [AS_IMAGE_LOADER, []]) {
      const local = spawnSync(
        'nsenter',
        ['--target', String(web1.pid), '--mount', ...user, process.execPath, '-e', attempt],
        { encoding: 'utf8' },
      );
      assert.equal(local.stdout.trim(), 'EROFS', local.stderr);
    }

    const probe = join(dir.path, 'nfs-write-probe');
    await writeFile(probe, 'written over NFS\n');
    const fromWeb = runIn('web1', ['nfs-cp', probe, nfsUrl('.image-loader/tmp/from-web1')]);
    assert.notEqual(fromWeb.status, 0, 'nfs-cp from web1 is refused');
    assert.match(fromWeb.stderr.toString(), /NFS4ERR_ROFS/);
    await assert.rejects(stat(join(store(), '.image-loader', 'tmp', 'from-web1')), { code: 'ENOENT' });

    const fromCentral = runIn('central', ['nfs-cp', probe, nfsUrl('.image-loader/tmp/from-central')]);
    assert.equal(fromCentral.status, 0, `nfs-cp from central: ${fromCentral.stderr}`);
    const written = await stat(join(store(), '.image-loader', 'tmp', 'from-central'));
    assert.deepEqual(
      [written.uid, written.gid],
      [IMAGE_LOADER_ID, IMAGE_LOADER_ID],
      'root on the client is squashed to image-loader',
    );
    await rename(join(store(), '.image-loader', 'tmp', 'from-central'), join(dir.path, 'from-central'));

    const fromOrigin = runIn('origin', ['nfs-cat', nfsUrl('.image-loader/heartbeat.json')]);
    assert.notEqual(fromOrigin.status, 0, 'a host in neither client list reads nothing');
    assert.match(fromOrigin.stderr.toString(), /NFS4ERR_NOENT/, 'it does not even see the export');
  });

  it('an image changed at the origin is served new by both web nodes (and the export) after the next round', async () => {
    const changed = makePng('fleet two, changed', 15);
    const file = join(dir.path, 'origin', 'img', '2.png');
    await writeFile(`${file}.new`, changed);
    await rename(`${file}.new`, file);
    const round = runIn('central', [...AS_IMAGE_LOADER, process.execPath, CLI, 'round', '--wait'], fleetEnv());
    assert.equal(round.status, 0, `round --wait: ${round.stderr}`);
    const summary = await lastRound();
    assert.equal(summary.trigger, 'manual');
    assert.deepEqual([summary.counts.downloaded, summary.counts.unchanged], [1, IMAGES.size - 1]);
    const entry = summary.entries.find((e) => e.url.endsWith('/img/2.png'))!;
    assert.equal(entry.status, 'downloaded');
    for (const host of ['web1', 'web2'] as const) {
      const response = await client.get(webUrl(host, entry.path!));
      assert.ok(response.body.equals(changed), `${host} serves the new bytes`);
    }
    const nfs = runIn('web1', ['nfs-cat', nfsUrl(entry.path!)]);
    assert.ok(nfs.stdout.equals(changed), `the export serves the new bytes: ${nfs.stderr}`);
  });

  it('a web node whose store disappears answers 503 on /healthz within a second, and 200 when it is back', async () => {
    const { process: web1, view } = web.get('web1')!;
    const inWeb1Mounts = (script: string): void => {
      const result = spawnSync('nsenter', ['--target', String(web1.pid), '--mount', 'sh', '-c', script], {
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stderr);
    };
    // The worst case: a healthy verdict taken just before, which /healthz may reuse for a while.
    assert.equal((await client.get(webUrl('web1', 'healthz'))).status, 200);
    // Lazily, as an NFS mount going away would: files the node has open do not keep it.
    inWeb1Mounts(`umount -l "${view}"`);
    const gone = await client.poll(webUrl('web1', 'healthz'), 503, 5_000);
    assert.equal(gone.status, 503, gone.body.toString());
    assert.match(JSON.parse(gone.body.toString()).reason as string, /store missing/);
    process.stdout.write(
      `# simulated fleet: web1 answered 503 ${gone.elapsedMs} ms after its store went away (${gone.attempts} requests)\n`,
    );
    assert.ok(gone.elapsedMs <= 1_000, `503 after ${gone.elapsedMs} ms`);
    assert.equal((await client.get(webUrl('web2', 'healthz'))).status, 200, 'web2 still has its store');

    assert.equal((await client.get(webUrl('web1', 'healthz'))).status, 503);
    inWeb1Mounts(bindReadOnly(view));
    const back = await client.poll(webUrl('web1', 'healthz'), 200, 5_000);
    assert.equal(back.status, 200, back.body.toString());
    process.stdout.write(`# simulated fleet: web1 answered 200 ${back.elapsedMs} ms after its store came back\n`);
    assert.ok(back.elapsedMs <= 1_000, `200 after ${back.elapsedMs} ms`);
  });
});
