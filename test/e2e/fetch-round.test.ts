import assert from 'node:assert/strict';
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng, sha256 } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';

describe('fetch: a round of good images', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  const images = new Map<string, Buffer>();

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    for (let i = 0; i < 20; i++) images.set(`/img/${i}.png`, makePng(`image ${i}`, 8 + i));
    images.set('/photos/cat.jpg', makeJpegLike(200_000, 'cat'));
    images.set('/no-extension', makePng('no extension'));
    images.set('/resize.jpg?w=100&h=50', makeJpegLike(3000, 'query'));
    for (const [path, body] of images) origin.set(path, { kind: 'image', body, contentType: 'image/whatever' });
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const store = (): string => join(dir.path, 'store');
  const fetchJson = async (
    list: string,
    ...flags: string[]
  ): Promise<{ code: number | null; summary: RoundSummary; stderr: string }> => {
    const listFile = join(dir.path, 'list.txt');
    await writeFile(listFile, list);
    const result = await runCli(['fetch', listFile, '--store', store(), '--allow-private', '--json', ...flags]);
    assert.ok(result.stdout.trim().startsWith('{'), `stdout is one JSON document; stderr: ${result.stderr}`);
    return { code: result.code, summary: JSON.parse(result.stdout) as RoundSummary, stderr: result.stderr };
  };
  const list = (): string => `${[...images.keys()].map((path) => `${origin.url}${path}`).join('\n')}\n`;

  it('stores every image byte-exact, under its human name, and exits 0', async () => {
    const { code, summary } = await fetchJson(list());
    assert.equal(code, 0);
    assert.equal(summary.schema, 'image-loader/round@1');
    assert.deepEqual(summary.counts, {
      total: images.size,
      downloaded: images.size,
      unchanged: 0,
      fresh: 0,
      failed: 0,
      invalidLines: 0,
      duplicates: 0,
    });
    assert.equal(
      summary.bytesTransferred,
      [...images.values()].reduce((sum, body) => sum + body.length, 0),
    );
    for (const [index, entry] of summary.entries.entries()) {
      assert.equal(entry.line, index + 1, 'entries are in list order');
      assert.equal(entry.status, 'downloaded');
      const body = images.get(new URL(entry.url).pathname + new URL(entry.url).search)!;
      const stored = await readFile(join(store(), entry.path!));
      assert.ok(stored.equals(body), `${entry.path} holds the exact bytes`);
      assert.equal(entry.sha256, sha256(body));
      assert.equal(entry.bytes, body.length);
    }
    const byUrl = new Map(
      summary.entries.map((entry) => [new URL(entry.url).pathname + new URL(entry.url).search, entry]),
    );
    const host = `127.0.0.1^3A${origin.port}^.http`;
    assert.equal(byUrl.get('/img/3.png')!.path, `${host}/img/3.png`);
    assert.equal(byUrl.get('/img/3.png')!.contentType, 'image/png', 'type from magic bytes, not the server header');
    assert.equal(byUrl.get('/photos/cat.jpg')!.contentType, 'image/jpeg');
    assert.equal(byUrl.get('/no-extension')!.path, `${host}/no-extension^.png`);
    assert.equal(byUrl.get('/resize.jpg?w=100&h=50')!.path, `${host}/resize.jpg^3Fw=100&h=50^.jpg`);
    assert.deepEqual(await tempFiles(store()), [], 'no temp file left');
    const lastRound = JSON.parse(
      await readFile(join(store(), '.image-loader', 'last-round.json'), 'utf8'),
    ) as RoundSummary;
    assert.equal(lastRound.roundId, summary.roundId, 'the summary is also written into the store');
  });

  it('re-runs with conditional requests: every URL unchanged, no body bytes moved', async () => {
    origin.resetStats();
    const { code, summary } = await fetchJson(list());
    assert.equal(code, 0);
    assert.equal(summary.counts.unchanged, images.size);
    assert.equal(summary.bytesTransferred, 0);
    assert.equal(origin.stats.bodyBytes, 0, 'the origin sent no body');
    assert.equal(origin.stats.notModified, images.size);
    assert.ok(origin.stats.lastHeaders.get('/img/0.png')!['if-none-match'], 'If-None-Match was sent');
    for (const entry of summary.entries) {
      assert.ok(entry.path && entry.sha256, 'an unchanged entry still carries path and sha256');
    }
  });

  it('fetches again an image whose file was deleted by hand, even though the origin says 304', async () => {
    const victim = join(store(), `127.0.0.1^3A${origin.port}^.http/img/7.png`);
    await unlink(victim);
    origin.resetStats();
    const { summary } = await fetchJson(list());
    const entry = summary.entries.find((candidate) => candidate.url.endsWith('/img/7.png'))!;
    assert.equal(entry.status, 'downloaded');
    assert.ok((await readFile(victim)).equals(images.get('/img/7.png')!), 'the file is back, byte-exact');
    assert.equal(origin.stats.byPath.get('/img/7.png'), 2, 'a conditional request (304), then an unconditional one');
    assert.equal(summary.counts.unchanged, images.size - 1);
  });

  it('sends a descriptive User-Agent and reuses connections (keep-alive)', async () => {
    const version = (
      JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
    assert.equal(origin.stats.lastHeaders.get('/img/0.png')!['user-agent'], `image-loader/${version}`);
    origin.resetStats();
    await fetchJson(list(), '--per-host', '1', '--revalidate', 'always');
    assert.equal(origin.stats.requests, images.size);
    assert.equal(origin.stats.connections, 1, `${images.size} requests over one kept-alive connection`);
    const custom = await fetchJson(`${origin.url}/img/0.png\n`, '--user-agent', 'acme-mirror/2');
    assert.equal(custom.code, 0);
    assert.equal(origin.stats.lastHeaders.get('/img/0.png')!['user-agent'], 'acme-mirror/2');
  });

  it('replaces an image whose content changed, atomically, and keeps the others', async () => {
    const changed = makePng('a new version', 30);
    origin.set('/img/5.png', { kind: 'image', body: changed });
    const before = await stat(join(store(), `127.0.0.1^3A${origin.port}^.http/img/5.png`));
    const { summary } = await fetchJson(list());
    const entry = summary.entries.find((candidate) => candidate.url.endsWith('/img/5.png'))!;
    assert.equal(entry.status, 'downloaded');
    assert.equal(entry.sha256, sha256(changed));
    const file = join(store(), entry.path!);
    assert.ok((await readFile(file)).equals(changed));
    assert.notEqual(
      (await stat(file)).ino,
      before.ino,
      'a new file replaced the name (rename), the old one was not rewritten',
    );
    assert.equal(summary.counts.downloaded, 1);
    assert.equal(summary.counts.unchanged, images.size - 1);
    images.set('/img/5.png', changed);
  });

  it('stores identical content from two URLs once (one blob, two names)', async () => {
    const body = makePng('shared content');
    origin.set('/same/one.png', { kind: 'image', body });
    origin.set('/same/two.png', { kind: 'image', body });
    const { summary } = await fetchJson(`${origin.url}/same/one.png\n${origin.url}/same/two.png\n`);
    const [one, two] = summary.entries;
    const [a, b] = await Promise.all([stat(join(store(), one!.path!)), stat(join(store(), two!.path!))]);
    assert.equal(a.ino, b.ino, 'both names are links to one blob');
    assert.equal(a.nlink, 3, 'the blob plus two human names');
  });

  it('skips asking while the origin says the copy is fresh (Cache-Control max-age), unless --revalidate always', async () => {
    origin.set('/fresh.png', { kind: 'image', body: makePng('fresh'), headers: { 'cache-control': 'max-age=3600' } });
    const url = `${origin.url}/fresh.png\n`;
    await fetchJson(url);
    origin.resetStats();
    const second = await fetchJson(url);
    assert.equal(second.summary.entries[0]!.status, 'unchanged');
    assert.equal(second.summary.entries[0]!.attempts, 0);
    assert.equal(origin.stats.requests, 0, 'a fresh copy is not requested at all');
    await fetchJson(url, '--revalidate', 'always');
    assert.equal(origin.stats.requests, 1, '--revalidate always asks anyway');
    assert.equal(origin.stats.bodyBytes, 0, 'and gets a 304');
  });

  it('keeps at most --concurrency downloads in flight, and --per-host connections per host', async () => {
    const slow = await startImageOrigin({ latencyMs: 100 });
    try {
      const paths = Array.from({ length: 24 }, (_, i) => `/slow/${i}.png`);
      for (const path of paths) slow.set(path, { kind: 'image', body: makePng(path) });
      const urls = paths.map((path) => `${slow.url}${path}`).join('\n');
      await fetchJson(urls, '--concurrency', '4');
      assert.equal(slow.stats.maxInFlight, 4, 'exactly 4 at once with --concurrency 4');
      const second = await startImageOrigin({ latencyMs: 100 });
      try {
        for (const path of paths) second.set(path, { kind: 'image', body: makePng(`${path} 2`) });
        await fetchJson(
          paths.map((path) => `${second.url}${path}`).join('\n'),
          '--concurrency',
          '16',
          '--per-host',
          '3',
        );
        assert.equal(second.stats.maxInFlight, 3, 'the per-host cap holds below the total');
      } finally {
        await second.close();
      }
    } finally {
      await slow.close();
    }
  });

  it('leaves nothing in the human tree but the images', async () => {
    const files = await humanFiles(store());
    assert.ok(files.length > 0);
    for (const file of files) assert.match(file, /\.(png|jpg)$/, `${file} is an image name`);
  });
});
