import assert from 'node:assert/strict';
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import serveIndex from 'serve-index';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type FleetProcess, startFleetProcess } from '../../harness/fleet-processes.js';
import { type RawResponse, rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { renderGalleryPage } from '../../web/gallery-page.js';
import { renderListingHtml } from '../../web/listing-html.js';

/** The web node reuses a listing only once its folder's last change is this old (listing-cache.ts `racyMs`), plus a margin. */
const SETTLED_MS = 1_100;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ACCEPTS: Record<string, Record<string, string>> = {
  html: {},
  json: { accept: 'application/json' },
  plain: { accept: 'text/plain' },
};

describe('web: folder listings kept and shared, never stale', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let web: FleetProcess;
  let port: number;
  let host: string;
  /** serve-index (with the web node's page template) on the same store in this process, uncached. */
  let reference: Server;
  let referencePort: number;
  const store = (): string => join(dir.path, 'store');
  const tmp = (): string => join(store(), '.image-loader', 'tmp');
  const url = (...segments: string[]): string => `/${segments.map(encodeURIComponent).join('/')}/`;
  const get = (path: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
    rawRequest(port, path, { headers });
  const renders = async (): Promise<number> => {
    const text = (await get('/metrics')).body.toString();
    return [...text.matchAll(/^image_loader_web_listing_renders_total\{view="\w+"\} (\d+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  };
  /** What the listing must be, rendered now from the folder as it is. */
  const expected = async (path: string, view: string): Promise<{ contentType: string; body: Buffer }> => {
    if (view === 'gallery') {
      const folder = decodeURIComponent(path).slice(1, -1);
      const entries = (await readdir(join(store(), folder), { withFileTypes: true })).filter(
        (entry) => !entry.name.startsWith('.'),
      );
      return {
        contentType: 'text/html; charset=utf-8',
        body: Buffer.from(
          renderGalleryPage(
            folder,
            entries.map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() })),
          ),
        ),
      };
    }
    const response = await rawRequest(referencePort, path, { headers: ACCEPTS[view] });
    assert.equal(response.status, 200, `reference ${view} ${path}`);
    return { contentType: String(response.headers['content-type']), body: response.body };
  };
  const listing = (path: string, view: string): Promise<RawResponse> =>
    view === 'gallery' ? get(`${path}?view=gallery`) : get(path, ACCEPTS[view]);
  const assertSame = async (response: RawResponse, path: string, view: string, what: string): Promise<void> => {
    const want = await expected(path, view);
    assert.equal(response.status, 200, `${what}: ${view} ${path}`);
    assert.equal(response.headers['content-type'], want.contentType, `${what}: ${view} ${path}`);
    assert.equal(response.headers['content-length'], String(want.body.length), `${what}: ${view} ${path}`);
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(
      response.body.toString(),
      want.body.toString(),
      `${what}: ${view} ${path} is byte-identical to an uncached rendering`,
    );
  };
  const assertListing = async (path: string, view: string, what: string): Promise<RawResponse> => {
    const response = await listing(path, view);
    await assertSame(response, path, view, what);
    return response;
  };
  /** A file moved into place as a round does: written under .image-loader/tmp, then renamed onto its name. */
  const renameIn = async (folder: string, name: string, content: Buffer): Promise<void> => {
    const temp = join(tmp(), `listing-test-${Date.now()}-${Math.random()}`);
    await writeFile(temp, content);
    await rename(temp, join(store(), folder, name));
  };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    const paths = Array.from({ length: 5 }, (_, i) => `/img/${i}.png`);
    for (const [i, path] of paths.entries()) origin.set(path, { kind: 'image', body: makePng(`listing ${i}`, 10 + i) });
    await writeFile(join(dir.path, 'list.txt'), paths.map((path) => `${origin.url}${path}`).join('\n'));
    const fetched = await runCli([
      'fetch',
      join(dir.path, 'list.txt'),
      '--store',
      store(),
      '--allow-private',
      '--json',
    ]);
    assert.equal(fetched.code, 0, fetched.stderr);
    host = (JSON.parse(fetched.stdout) as RoundSummary).entries[0]!.path!.split('/')[0]!;
    await mkdir(tmp(), { recursive: true });
    // Folders big enough that one rendering (a stat per entry) takes a while: concurrent requests overlap it.
    for (const folder of ['many', 'crowd']) {
      await mkdir(join(store(), host, folder));
      await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          writeFile(
            join(store(), host, folder, `picture-${String(i).padStart(4, '0')}.png`),
            makePng(`${folder} ${i}`, 4),
          ),
        ),
      );
    }
    const listing = serveIndex(store(), { view: 'details', hidden: false, icons: false, template: renderListingHtml });
    reference = createServer((req, res) =>
      listing(req as never, res as never, () => {
        res.statusCode = 404;
        res.end();
      }),
    );
    await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', resolve));
    referencePort = (reference.address() as AddressInfo).port;
    web = startFleetProcess(['web', '--store', store(), '--port', '0', '--host', '127.0.0.1']);
    port = (await web.waitForLog((line) => line.msg === 'web server listening')).port as number;
    await sleep(SETTLED_MS);
  });
  after(async () => {
    await web?.stop();
    await new Promise((resolve) => reference?.close(resolve));
    await origin?.close();
    await dir?.remove();
  });

  it('on this file system, a rename into a folder, a replacement by rename and an unlink change its mtime and ctime; a write in place does not', async () => {
    const folder = join(dir.path, 'mtime-check');
    await mkdir(folder);
    await writeFile(join(folder, 'a.png'), 'one');
    const version = async (): Promise<string> => {
      const info = await stat(folder);
      return `${info.mtimeMs} ${info.ctimeMs}`;
    };
    // Past the timestamps' granularity (the kernel's coarse clock): two changes within one tick would share a time.
    const after = async (change: () => Promise<void>): Promise<[string, string]> => {
      const before = await version();
      await sleep(30);
      await change();
      return [before, await version()];
    };
    const added = await after(async () => {
      await writeFile(join(dir.path, 'new.png'), 'new');
      await rename(join(dir.path, 'new.png'), join(folder, 'b.png'));
    });
    assert.notEqual(added[1], added[0], 'a file renamed in');
    const replaced = await after(async () => {
      await writeFile(join(dir.path, 'next.png'), 'a new version');
      await rename(join(dir.path, 'next.png'), join(folder, 'a.png'));
    });
    assert.notEqual(replaced[1], replaced[0], 'a file replaced by rename');
    const removed = await after(() => unlink(join(folder, 'b.png')));
    assert.notEqual(removed[1], removed[0], 'a file removed');
    const inPlace = await after(() => writeFile(join(folder, 'a.png'), 'changed in place, longer'));
    assert.equal(inPlace[1], inPlace[0], 'a write in place leaves the folder as it was: the store never makes one');
  });

  it('answers every listing byte for byte as serve-index and the gallery did, the first time and from what it kept', async () => {
    const paths = ['/', url(host), url(host, 'img'), url(host, 'many')];
    const views = ['html', 'json', 'plain', 'gallery'];
    const rendered = await renders();
    // Both rounds of requests first (well within the 2 s a listing is kept), then the comparisons.
    const rounds: RawResponse[][] = [];
    for (let round = 0; round < 2; round++) {
      const responses: RawResponse[] = [];
      for (const path of paths) for (const view of views) responses.push(await listing(path, view));
      rounds.push(responses);
    }
    const renderings = (await renders()) - rendered;
    for (const [round, responses] of rounds.entries()) {
      let i = 0;
      for (const path of paths)
        for (const view of views) await assertSame(responses[i++]!, path, view, round === 0 ? 'rendered' : 'kept');
    }
    assert.equal(
      renderings,
      paths.length * views.length,
      'each folder and view rendered once: the second time, every answer was a kept one',
    );
    const head = await rawRequest(port, url(host, 'img'), { method: 'HEAD' });
    assert.deepEqual(
      [head.status, head.body.length, head.headers['content-length']],
      [200, 0, String((await expected(url(host, 'img'), 'html')).body.length)],
    );
  });

  it('shows a file added, replaced and removed (by rename and unlink, as a round does) in the very next listing', async () => {
    const img = url(host, 'img');
    const folder = join(host, 'img');
    const views = ['html', 'json', 'gallery'];
    const warm = async (): Promise<void> => {
      // Past the racy window of the folder's last change, so that what is kept would be reused: a stale page would show.
      await sleep(SETTLED_MS);
      for (const view of views) await listing(img, view);
      const rendered = await renders();
      for (const view of views) await listing(img, view);
      assert.equal(await renders(), rendered, 'the listings are kept before the change');
    };
    const names = async (): Promise<string[]> => JSON.parse((await get(img, ACCEPTS.json)).body.toString()) as string[];

    await warm();
    await renameIn(folder, 'added.png', makePng('added', 12));
    for (const view of views) await assertListing(img, view, 'after a file was added');
    assert.ok((await names()).includes('added.png'));

    await warm();
    const before = await listing(img, 'html');
    assert.match(
      before.body.toString(),
      /title="added\.png"><span class="name">added\.png<\/span><span class="size">(\d+)</,
    );
    const replacement = makePng('a bigger replacement', 40);
    await renameIn(folder, 'added.png', replacement);
    const replaced = await assertListing(img, 'html', 'after a file was replaced');
    assert.match(
      replaced.body.toString(),
      new RegExp(`title="added\\.png"><span class="name">added\\.png</span><span class="size">${replacement.length}<`),
      'the new size',
    );
    assert.notEqual(replaced.body.toString(), before.body.toString());

    await warm();
    await unlink(join(store(), folder, 'added.png'));
    for (const view of views) await assertListing(img, view, 'after a file was removed');
    assert.ok(!(await names()).includes('added.png'));
  });

  it('renders a listing once for many concurrent requests, and a few times at most when they come right after a change', async () => {
    const crowd = url(host, 'crowd');
    const concurrently = (n: number): Promise<RawResponse[]> =>
      Promise.all(Array.from({ length: n }, () => get(crowd)));
    let rendered = await renders();
    const cold = await concurrently(32);
    assert.equal((await renders()) - rendered, 1, '32 requests for a folder not changed lately: one rendering');
    const want = (await expected(crowd, 'html')).body.toString();
    assert.ok(cold.every((response) => response.status === 200 && response.body.toString() === want));

    await renameIn(join(host, 'crowd'), 'late.png', makePng('late', 6));
    rendered = await renders();
    const racy = await concurrently(32);
    // Just changed (racy): the first request renders; those arriving while it runs wait for it and share the next one.
    const count = (await renders()) - rendered;
    assert.ok(count >= 1 && count <= 4, `${count} renderings for 32 requests right after a change`);
    assert.ok(
      racy.every((response) => response.status === 200 && response.body.toString().includes('title="late.png"')),
      'every answer shows the new file',
    );
  });

  it('/metrics counts renderings by view and the bytes kept', async () => {
    const text = (await get('/metrics')).body.toString();
    for (const view of ['html', 'json', 'plain', 'gallery'])
      assert.match(text, new RegExp(`^image_loader_web_listing_renders_total\\{view="${view}"\\} [1-9]\\d*$`, 'm'));
    const kept = Number(/^image_loader_web_listing_cache_bytes (\d+)$/m.exec(text)?.[1]);
    assert.ok(kept > 0 && kept <= 16 * 1024 * 1024, `${kept} bytes kept`);
  });
});
