import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type FleetProcess, startFleetProcess } from '../../harness/fleet-processes.js';
import { rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>',
);

describe('web: the store served read-only over HTTP', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let web: FleetProcess;
  let port: number;
  let host: string;
  let summary: RoundSummary;
  const store = (): string => join(dir.path, 'store');
  const heartbeat = async (at: Date, everyMs = 300_000): Promise<void> => {
    await writeFile(
      join(store(), '.image-loader', 'heartbeat.json'),
      JSON.stringify({
        schema: 'image-loader/heartbeat@1',
        at: at.toISOString(),
        everyMs,
        lastRoundId: summary.roundId,
        lastRoundFinishedAt: summary.finishedAt,
      }),
    );
  };
  const get = (path: string, headers?: Record<string, string>) => rawRequest(port, path, { headers });
  const entryPath = (suffix: string): string => summary.entries.find((entry) => entry.url.endsWith(suffix))!.path!;

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    for (let i = 0; i < 5; i++) origin.set(`/img/${i}.png`, { kind: 'image', body: makePng(`web ${i}`, 10 + i) });
    origin.set('/photo.jpg', { kind: 'image', body: makeJpegLike(50_000, 'photo') });
    origin.set('/vector.svg', { kind: 'image', body: SVG, contentType: 'image/svg+xml' });
    await writeFile(
      join(dir.path, 'list.txt'),
      ['/img/0.png', '/img/1.png', '/img/2.png', '/img/3.png', '/img/4.png', '/photo.jpg', '/vector.svg']
        .map((p) => `${origin.url}${p}`)
        .join('\n'),
    );
    const fetched = await runCli([
      'fetch',
      join(dir.path, 'list.txt'),
      '--store',
      store(),
      '--allow-private',
      '--allow-svg',
      '--json',
    ]);
    assert.equal(fetched.code, 0, fetched.stderr);
    summary = JSON.parse(fetched.stdout) as RoundSummary;
    host = entryPath('/photo.jpg').split('/')[0]!;
    // What an attacker or a careless operator could leave in the human tree.
    await writeFile(join(store(), host, '.secret.png'), 'hidden');
    await writeFile(join(store(), host, 'a<b>"&\'x.png'), makePng('hostile name'));
    await symlink('/etc/passwd', join(store(), host, 'evil.png'));
    await writeFile(join(dir.path, 'outside.png'), 'outside the store');
    await symlink(join(dir.path, 'outside.png'), join(store(), host, 'outside.png'));
    await heartbeat(new Date());
    web = startFleetProcess(['web', '--store', store(), '--port', '0', '--host', '127.0.0.1']);
    port = (await web.waitForLog((line) => line.msg === 'web server listening')).port as number;
  });
  after(async () => {
    await web?.stop();
    await origin?.close();
    await dir?.remove();
  });

  it('lists folders with serve-index, as HTML and as JSON, hiding dotfiles and the internal folder', async () => {
    const html = await get('/');
    assert.equal(html.status, 200);
    assert.match(String(html.headers['content-type']), /text\/html/);
    assert.ok(html.body.toString().includes(host));
    assert.ok(!html.body.toString().includes('.image-loader'));
    const json = await get('/', { accept: 'application/json' });
    assert.deepEqual(JSON.parse(json.body.toString()), [host]);
    const folder = await get(`/${encodeURIComponent(host)}/`, { accept: 'application/json' });
    const names = JSON.parse(folder.body.toString()) as string[];
    assert.ok(names.includes('photo.jpg') && names.includes('img'));
    assert.ok(!names.includes('.secret.png'));
    const noSlash = await get(`/${encodeURIComponent(host)}`);
    assert.equal(noSlash.status, 301);
    assert.equal(noSlash.headers.location, `/${encodeURIComponent(host)}/`);
  });

  it('escapes hostile file names in listings and the gallery', async () => {
    for (const path of [`/${encodeURIComponent(host)}/`, `/${encodeURIComponent(host)}/?view=gallery`]) {
      const page = (await get(path)).body.toString();
      assert.ok(!page.includes('a<b>"&\'x.png'), `${path} does not show the raw name`);
      assert.match(page, /a&(lt|#60);b&(gt|#62);/, `${path} shows it escaped`);
    }
  });

  it('serves images byte-exact with their type, a strong ETag, Last-Modified, cache headers, HEAD, 304 and Range', async () => {
    const path = `/${entryPath('/photo.jpg').split('/').map(encodeURIComponent).join('/')}`;
    const body = await readFile(join(store(), entryPath('/photo.jpg')));
    const full = await get(path);
    assert.equal(full.status, 200);
    assert.ok(full.body.equals(body));
    assert.equal(full.headers['content-type'], 'image/jpeg');
    const etag = String(full.headers.etag);
    assert.match(etag, /^"[0-9a-z-]+"$/, 'a strong validator (no W/)');
    assert.ok(full.headers['last-modified']);
    assert.equal(full.headers['cache-control'], 'public, max-age=60, must-revalidate');
    assert.equal(full.headers['accept-ranges'], 'bytes');
    assert.equal(full.headers['x-content-type-options'], 'nosniff');
    const head = await rawRequest(port, path, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(body.length));
    assert.equal((await get(path, { 'if-none-match': etag })).status, 304);
    const range = await get(path, { range: 'bytes=10-19' });
    assert.equal(range.status, 206);
    assert.ok(range.body.equals(body.subarray(10, 20)));
    assert.equal(range.headers['content-range'], `bytes 10-19/${body.length}`);
    assert.equal((await get(path, { range: `bytes=${body.length + 10}-` })).status, 416);
    const stale = await get(path, { range: 'bytes=10-19', 'if-range': '"another-version"' });
    assert.deepEqual(
      [stale.status, stale.body.length],
      [200, body.length],
      'If-Range of another version: the whole new file',
    );
    const current = await get(path, { range: 'bytes=10-19', 'if-range': etag });
    assert.equal(current.status, 206);
    const several = await get(path, { range: 'bytes=0-1,100-101' });
    assert.deepEqual([several.status, several.body.length], [200, body.length], 'several ranges: the whole file');
    const png = await get(`/${entryPath('/img/3.png').split('/').map(encodeURIComponent).join('/')}`);
    assert.equal(png.headers['content-type'], 'image/png');
  });

  it('serves SVG so that its scripts cannot run', async () => {
    const svg = await get(`/${entryPath('/vector.svg').split('/').map(encodeURIComponent).join('/')}`);
    assert.equal(svg.status, 200);
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.match(String(svg.headers['content-security-policy']), /^sandbox/);
    assert.equal(svg.headers['x-content-type-options'], 'nosniff');
  });

  it('a gallery view shows every image of a folder, lazy-loaded', async () => {
    const page = (await get(`/${encodeURIComponent(host)}/img/?view=gallery`)).body.toString();
    assert.equal((page.match(/<img [^>]*loading="lazy"/g) ?? []).length, 5);
    assert.match(page, /src="\/[^"]+\/img\/0\.png"/);
  });

  it('answers only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await rawRequest(port, '/', { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.allow, 'GET, HEAD');
    }
  });

  it('reaches nothing outside the human tree, however the path is encoded', async () => {
    const h = encodeURIComponent(host);
    const attacks = [
      '/../../../../etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      `/${h}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`,
      '/%252e%252e/%252e%252e/etc/passwd',
      '/..%5c..%5cetc%5cpasswd',
      '/..\\..\\etc\\passwd',
      `/${h}/..%00/x`,
      '//etc/passwd',
      `/${h}/evil.png`,
      `/${h}/outside.png`,
      `/${h}/.secret.png`,
      '/.image-loader/metadata.jsonl',
      '/.image-loader/last-round.json',
      '/.image-loader/blobs/',
      '/.image-loader/tmp/',
      '/%2eimage-loader/heartbeat.json',
      `/${h}/img/../../.image-loader/heartbeat.json`,
    ];
    for (const attack of attacks) {
      const response = await get(attack);
      assert.ok([400, 403, 404].includes(response.status), `${attack} -> ${response.status}`);
      const text = response.body.toString();
      assert.ok(
        !text.includes('root:') &&
          !text.includes('outside the store') &&
          !text.includes('hidden') &&
          !text.includes('image-loader/heartbeat'),
        `${attack} leaked: ${text.slice(0, 80)}`,
      );
    }
  });

  it('/healthz: fresh, stale, missing, and a store that hangs answered within a second', async () => {
    const health = async (): Promise<{ status: number; body: Record<string, unknown>; ms: number }> => {
      const startedAt = Date.now();
      const response = await get('/healthz');
      return {
        status: response.status,
        body: JSON.parse(response.body.toString()) as Record<string, unknown>,
        ms: Date.now() - startedAt,
      };
    };
    const fresh = await health();
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.equal(fresh.body.lastRoundId, summary.roundId);
    assert.equal(typeof fresh.body.storeAgeMs, 'number');

    await heartbeat(new Date(Date.now() - 2 * 3_600_000));
    await waitFor(async () => (await health()).status === 503, 5_000, 'a stale verdict');
    assert.match(String((await health()).body.reason), /store stale: last sign of life 2\.0 h ago, limit 15 min/);

    const internal = join(store(), '.image-loader');
    await rename(internal, `${internal}-away`);
    await waitFor(async () => /store missing/.test(String((await health()).body.reason)), 5_000, 'a missing verdict');
    await rename(`${internal}-away`, internal);

    // A FIFO with no writer blocks open(2) in libuv's thread pool forever: what a hung hard NFS mount does.
    await rm(join(internal, 'heartbeat.json'));
    assert.equal(spawnSync('mkfifo', [join(internal, 'heartbeat.json')]).status, 0);
    await waitFor(
      async () => /store not responding/.test(String((await health()).body.reason)),
      5_000,
      'a not-responding verdict',
    );
    const hung = await health();
    assert.equal(hung.status, 503);
    assert.ok(hung.ms < 1_000, `answered in ${hung.ms} ms`);
    // Images are still served meanwhile (the thread pool has other threads).
    assert.equal((await get(`/${entryPath('/img/1.png').split('/').map(encodeURIComponent).join('/')}`)).status, 200);
    // Release the blocked read so the process can exit cleanly.
    await writeFile(join(internal, 'heartbeat.json'), '{}');
  });

  it('/metrics: Prometheus text with requests, bytes and store freshness; every request in the access log', async () => {
    const metrics = (await get('/metrics')).body.toString();
    assert.match(metrics, /image_loader_web_requests_total\{method="GET",status="200"\} \d+/);
    assert.match(metrics, /image_loader_web_requests_total\{method="POST",status="405"\} 1/);
    assert.match(metrics, /image_loader_web_response_bytes_total \d+/);
    assert.match(metrics, /image_loader_store_healthy [01]/);
    assert.match(metrics, /image_loader_store_age_seconds \d/);
    const logged = web.logs().filter((line) => line.msg === 'request');
    assert.ok(logged.some((line) => line.method === 'HEAD' && line.status === 200));
    assert.ok(
      logged.every(
        (line) => typeof line.path === 'string' && typeof line.status === 'number' && typeof line.ms === 'number',
      ),
    );
  });
});
