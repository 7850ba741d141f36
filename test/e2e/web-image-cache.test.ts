import assert from 'node:assert/strict';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FleetProcess, startFleetProcess } from '../../harness/fleet-processes.js';
import { type RawResponse, rawRequest } from '../../harness/http-get.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { trackPeakRss } from '../../harness/process-usage.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Node {
  process: FleetProcess;
  port: number;
}

async function startNode(store: string, ...flags: string[]): Promise<Node> {
  const process = startFleetProcess(['web', '--store', store, '--port', '0', '--host', '127.0.0.1', ...flags]);
  const port = (await process.waitForLog((line) => line.msg === 'web server listening')).port as number;
  return { process, port };
}

async function metric(node: Node, name: string): Promise<number> {
  const text = (await rawRequest(node.port, '/metrics')).body.toString();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(match, `${name} in /metrics`);
  return Number(match[1]);
}

/** A new version put in place as a round does: written beside it, then renamed onto the name (a new inode). */
async function replace(path: string, bytes: Buffer): Promise<void> {
  await writeFile(`${path}.next`, bytes);
  await rename(`${path}.next`, path);
}

/** What two answers must share: status, body, and every header but the ones that name the moment or connection. */
function comparable(response: RawResponse): unknown {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...headers } = response.headers;
  return { status: response.status, headers, body: response.body.toString('base64') };
}

describe('web: the in-memory image cache answers as the store does, never stale, never outside, bounded', () => {
  let dir: { path: string; remove(): Promise<void> };
  const nodes: Node[] = [];
  const store = (): string => join(dir.path, 'store');
  const start = async (...flags: string[]): Promise<Node> => {
    const node = await startNode(store(), ...flags);
    nodes.push(node);
    return node;
  };

  before(async () => {
    dir = await tempDir();
    await mkdir(join(store(), '.image-loader'), { recursive: true });
    await mkdir(join(store(), 'example.com', 'img'), { recursive: true });
    await mkdir(join(dir.path, 'outside'));
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.process.stop()));
    await dir.remove();
  });

  it('GET, HEAD, Range, If-None-Match, If-Match, If-Range and If-Modified-Since from memory answer byte for byte as with --cache-size 0', async () => {
    const image = makeJpegLike(50_000, 'cache exact');
    await writeFile(join(store(), 'example.com', 'img', 'exact.jpg'), image);
    await writeFile(join(store(), 'example.com', 'img', 'mark.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const cached = await start();
    const uncached = await start('--cache-size', '0');
    const path = '/example.com/img/exact.jpg';
    const first = await rawRequest(cached.port, path);
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(image));
    const etag = first.headers.etag as string;
    const lastModified = first.headers['last-modified'] as string;
    await rawRequest(cached.port, '/example.com/img/mark.svg');
    const hitsBefore = await metric(cached, 'image_loader_web_image_cache_hits_total');
    const cases: Array<{ method?: string; headers?: Record<string, string>; path?: string; status: number }> = [
      { status: 200 },
      { method: 'HEAD', status: 200 },
      { headers: { range: 'bytes=10-99' }, status: 206 },
      { headers: { range: 'bytes=-50' }, status: 206 },
      { method: 'HEAD', headers: { range: 'bytes=0-0' }, status: 206 },
      { headers: { range: 'bytes=0-4,1000-1004' }, status: 200 },
      { headers: { range: 'bytes=999999-' }, status: 416 },
      { headers: { 'if-none-match': etag }, status: 304 },
      { headers: { 'if-none-match': `W/${etag}, "other"` }, status: 304 },
      { headers: { 'if-none-match': etag, 'cache-control': 'no-cache' }, status: 200 },
      { headers: { 'if-match': '"other"' }, status: 412 },
      { headers: { 'if-match': etag, range: 'bytes=5-9' }, status: 206 },
      { headers: { 'if-range': '"other"', range: 'bytes=5-9' }, status: 200 },
      { headers: { 'if-range': etag, range: 'bytes=5-9' }, status: 206 },
      { headers: { 'if-modified-since': lastModified }, status: 304 },
      { headers: { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }, status: 412 },
      { path: '/example.com//img/exact.jpg?v=1', status: 200 },
      { path: '/example.com/img/mark.svg', status: 200 },
    ];
    for (const { method, headers, path: asked = path, status } of cases) {
      const options = { ...(method === undefined ? {} : { method }), ...(headers === undefined ? {} : { headers }) };
      const fromCache = await rawRequest(cached.port, asked, options);
      const fromStore = await rawRequest(uncached.port, asked, options);
      const what = `${method ?? 'GET'} ${asked} ${JSON.stringify(headers ?? {})}`;
      assert.equal(fromCache.status, status, what);
      assert.deepEqual(comparable(fromCache), comparable(fromStore), what);
    }
    assert.equal(
      await metric(cached, 'image_loader_web_image_cache_hits_total'),
      hitsBefore + cases.length,
      'every one answered from the cache',
    );
    assert.ok((await metric(cached, 'image_loader_web_image_cache_bytes')) >= image.length);
    // One access log line per request, cached or not: the first GETs, the cases, and the three /metrics.
    const imageLines = () => cached.process.logs().filter((line) => line.msg === 'request' && line.path !== '/metrics');
    await waitFor(() => imageLines().length === cases.length + 2, 2_000, 'an access log line per image request');
    assert.deepEqual(
      imageLines().map((line) => line.status),
      [200, 200, ...cases.map((entry) => entry.status)],
    );
  });

  it('a replaced image is served new at the very next request by default, and within --cache-recheck plus one request with it', async () => {
    const name = join(store(), 'example.com', 'img', 'replaced.png');
    const path = '/example.com/img/replaced.png';
    await writeFile(name, makePng('version 1', 20));
    const exact = await start();
    const recheckMs = 300;
    const lazy = await start('--cache-recheck', `${recheckMs}ms`);
    for (const node of [exact, lazy])
      assert.ok((await rawRequest(node.port, path)).body.equals(makePng('version 1', 20)));
    for (const node of [exact, lazy])
      assert.ok((await rawRequest(node.port, path)).body.equals(makePng('version 1', 20)));
    assert.equal(await metric(exact, 'image_loader_web_image_cache_hits_total'), 1);

    for (let version = 2; version <= 4; version++) {
      await replace(name, makePng(`version ${version}`, 20 + version));
      const next = await rawRequest(exact.port, path);
      assert.ok(next.body.equals(makePng(`version ${version}`, 20 + version)), `version ${version} at once`);
      await sleep(recheckMs);
      const later = await rawRequest(lazy.port, path);
      assert.ok(
        later.body.equals(makePng(`version ${version}`, 20 + version)),
        `version ${version} after ${recheckMs} ms`,
      );
    }
    // A removed image: a 404 at once, never its last version.
    await rename(name, join(dir.path, 'removed.png'));
    assert.equal((await rawRequest(exact.port, path)).status, 404);
  });

  it('never serves outside the human tree: a kept image whose name becomes a symlink out is a 404 at once; one out is never kept', async () => {
    const secret = makePng('outside secret', 30);
    await writeFile(join(dir.path, 'outside', 'secret.png'), secret);
    const name = join(store(), 'example.com', 'img', 'turned.png');
    await writeFile(name, makePng('inside', 12));
    await symlink(join(dir.path, 'outside', 'secret.png'), join(store(), 'example.com', 'img', 'out.png'));
    const node = await start();
    const path = '/example.com/img/turned.png';
    assert.ok((await rawRequest(node.port, path)).body.equals(makePng('inside', 12)));
    assert.equal((await rawRequest(node.port, path)).status, 200);
    await symlink(join(dir.path, 'outside', 'secret.png'), `${name}.link`);
    await rename(`${name}.link`, name);
    for (let n = 0; n < 3; n++) assert.equal((await rawRequest(node.port, path)).status, 404);
    for (let n = 0; n < 3; n++) assert.equal((await rawRequest(node.port, '/example.com/img/out.png')).status, 404);
    assert.equal(await metric(node, 'image_loader_web_image_cache_hits_total'), 1, 'only the inside version was a hit');
  });

  it('holds at most --cache-size: RSS grows by no more than the cap over the same load with the cache off', async (t) => {
    const folder = join(store(), 'example.com', 'many');
    await mkdir(folder);
    const count = 120;
    for (let i = 0; i < count; i++) await writeFile(join(folder, `${i}.jpg`), makeJpegLike(200_000, `many ${i}`));
    const capMiB = 8;
    const load = async (node: Node): Promise<number> => {
      for (let i = 0; i < 3; i++) await rawRequest(node.port, `/example.com/many/${i}.jpg`);
      const peak = trackPeakRss(node.process.child.pid!);
      for (let pass = 0; pass < 3; pass++)
        for (let i = 0; i < count; i++) {
          const response = await rawRequest(node.port, `/example.com/many/${i}.jpg`);
          assert.equal(response.body.length, 200_000);
        }
      return peak.stop()!;
    };
    const capped = await start('--cache-size', `${capMiB}MiB`);
    const off = await start('--cache-size', '0');
    const cappedPeakKib = await load(capped);
    const offPeakKib = await load(off);
    const heldBytes = await metric(capped, 'image_loader_web_image_cache_bytes');
    assert.ok(heldBytes <= capMiB * 1024 ** 2, `${heldBytes} bytes held`);
    assert.ok(heldBytes > (capMiB - 1) * 1024 ** 2, `the cap is used: ${heldBytes} bytes`);
    t.diagnostic(
      `peak RSS over 3 passes of ${count} images of 200 KB: ${cappedPeakKib} KiB with --cache-size ${capMiB}MiB (${heldBytes} bytes held), ${offPeakKib} KiB with --cache-size 0`,
    );
    // Some slack for what differs between two processes' heaps (GC timing): far less than the 24 MB of images.
    const slackKib = 6 * 1024;
    assert.ok(
      cappedPeakKib <= offPeakKib + capMiB * 1024 + slackKib,
      `peak RSS ${cappedPeakKib} KiB with an ${capMiB} MiB cache, ${offPeakKib} KiB without`,
    );
  });
});
