import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary, UrlEntry } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';

/**
 * One round over a list where most URLs misbehave in a different way: each
 * failure must be reported with its own code, retried only when a retry can
 * help, and must cost neither the good URLs nor the store anything.
 */
describe('fetch: origin faults', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let summary: RoundSummary;
  let exitCode: number | null;
  let elapsedMs: number;
  const good = makePng('the good one');

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    const jpeg = makeJpegLike(10_000, 'body');
    origin.set('/good.png', { kind: 'image', body: good });
    origin.set('/404.png', { kind: 'status', status: 404 });
    origin.set('/403.png', { kind: 'status', status: 403 });
    origin.set('/500-then-ok.png', {
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 503 },
        { kind: 'image', body: makePng('after 5xx') },
      ],
    });
    origin.set('/always-500.png', { kind: 'status', status: 500 });
    origin.set('/429.png', {
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
        { kind: 'image', body: makePng('after 429') },
      ],
    });
    origin.set('/html.jpg', {
      kind: 'status',
      status: 200,
      headers: { 'content-type': 'image/jpeg' },
      body: '<!DOCTYPE html><html><body>Login</body></html>',
    });
    origin.set('/svg.png', {
      kind: 'status',
      status: 200,
      body: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    });
    origin.set('/empty.png', { kind: 'status', status: 200, body: '' });
    origin.set('/stall.jpg', { kind: 'stall', sent: jpeg.subarray(0, 1000), contentLength: jpeg.length });
    origin.set('/reset.jpg', {
      kind: 'sequence',
      steps: [
        { kind: 'reset', sent: jpeg.subarray(0, 5000), contentLength: jpeg.length },
        { kind: 'image', body: jpeg },
      ],
    });
    origin.set('/always-reset.jpg', { kind: 'reset', sent: jpeg.subarray(0, 5000), contentLength: jpeg.length });
    origin.set('/chain/1', { kind: 'redirect', location: '/chain/2', status: 301 });
    origin.set('/chain/2', { kind: 'redirect', location: `${origin.url}/chain/3`, status: 307 });
    origin.set('/chain/3', { kind: 'redirect', location: '/good.png', status: 308 });
    origin.set('/loop/a', { kind: 'redirect', location: '/loop/b' });
    origin.set('/loop/b', { kind: 'redirect', location: '/loop/a' });
    for (let i = 0; i < 7; i++) origin.set(`/long/${i}`, { kind: 'redirect', location: `/long/${i + 1}` });
    origin.set('/long/7', { kind: 'image', body: good });
    origin.set('/redirect-ftp', { kind: 'redirect', location: 'ftp://example.com/a.png' });
    origin.set('/big-declared.jpg', {
      kind: 'stream',
      head: jpeg.subarray(0, 100),
      length: 2_000_000,
      declareLength: true,
    });
    origin.set('/big-chunked.jpg', {
      kind: 'stream',
      head: jpeg.subarray(0, 100),
      length: 2_000_000,
      declareLength: false,
    });

    const paths = [
      '/good.png',
      '/404.png',
      '/403.png',
      '/500-then-ok.png',
      '/always-500.png',
      '/429.png',
      '/html.jpg',
      '/svg.png',
      '/empty.png',
      '/stall.jpg',
      '/reset.jpg',
      '/always-reset.jpg',
      '/chain/1',
      '/loop/a',
      '/long/0',
      '/redirect-ftp',
      '/big-declared.jpg',
      '/big-chunked.jpg',
    ];
    const listFile = join(dir.path, 'list.txt');
    await writeFile(listFile, paths.map((path) => `${origin.url}${path}`).join('\n'));
    const started = Date.now();
    const result = await runCli([
      'fetch',
      listFile,
      '--store',
      join(dir.path, 'store'),
      '--allow-private',
      '--json',
      '--max-bytes',
      '1MB',
      '--timeout',
      '5s',
      '--idle-timeout',
      '500ms',
      '--retries',
      '2',
    ]);
    elapsedMs = Date.now() - started;
    exitCode = result.code;
    summary = JSON.parse(result.stdout) as RoundSummary;
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const entry = (path: string): UrlEntry => {
    const found = summary.entries.find((candidate) => candidate.url === `${origin.url}${path}`);
    assert.ok(found, `an entry for ${path}`);
    return found;
  };
  const requests = (path: string): number => origin.stats.byPath.get(path) ?? 0;

  it('exits 1 because some URLs failed, within the bounds the timeouts set', () => {
    assert.equal(exitCode, 1);
    assert.ok(elapsedMs < 20_000, `round took ${elapsedMs} ms`);
  });

  it('stores the good image and the ones that recover', () => {
    for (const path of ['/good.png', '/500-then-ok.png', '/429.png', '/reset.jpg', '/chain/1']) {
      assert.equal(entry(path).status, 'downloaded', path);
    }
    assert.equal(requests('/500-then-ok.png'), 3, '500, 503, then 200');
    assert.equal(requests('/reset.jpg'), 2, 'a reset mid-body is retried');
    assert.match(
      entry('/chain/1').path!,
      /\/chain\/1\^\.png$/,
      'a redirected image is named after the URL in the list',
    );
  });

  it('honours Retry-After on 429', () => {
    assert.equal(entry('/429.png').attempts, 2);
    const [first, second] = origin.stats.arrivals.get('/429.png')!;
    assert.ok(second! - first! >= 950, `retried ${second! - first!} ms later, after the 1 s the server asked for`);
  });

  it('backs off between retries of a 5xx', () => {
    const [first, second, third] = origin.stats.arrivals.get('/500-then-ok.png')!;
    assert.ok(
      second! - first! >= 250,
      `first retry after ${second! - first!} ms (backoff 0.5 s with jitter down to half)`,
    );
    assert.ok(third! - second! >= 500, `second retry after ${third! - second!} ms (1 s with jitter down to half)`);
  });

  it('reports each failure with its own code and never retries a terminal one', () => {
    const expected: Array<[string, string, number]> = [
      ['/404.png', 'IMG_ERR_HTTP_STATUS', 1],
      ['/403.png', 'IMG_ERR_HTTP_STATUS', 1],
      ['/always-500.png', 'IMG_ERR_HTTP_STATUS', 3],
      ['/html.jpg', 'IMG_ERR_NOT_AN_IMAGE', 1],
      ['/svg.png', 'IMG_ERR_SVG_NOT_ALLOWED', 1],
      ['/empty.png', 'IMG_ERR_NOT_AN_IMAGE', 1],
      ['/stall.jpg', 'IMG_ERR_BODY_TIMEOUT', 3],
      ['/always-reset.jpg', 'IMG_ERR_TRUNCATED', 3],
      ['/loop/a', 'IMG_ERR_REDIRECT_LOOP', 1],
      ['/long/0', 'IMG_ERR_TOO_MANY_REDIRECTS', 1],
      ['/redirect-ftp', 'IMG_ERR_BAD_REDIRECT', 1],
      ['/big-declared.jpg', 'IMG_ERR_TOO_LARGE', 1],
      ['/big-chunked.jpg', 'IMG_ERR_TOO_LARGE', 1],
    ];
    for (const [path, code, attempts] of expected) {
      const failed = entry(path);
      assert.equal(failed.status, 'failed', path);
      assert.equal(failed.error?.code, code, `${path}: ${failed.error?.message}`);
      assert.equal(failed.attempts, attempts, `${path} attempts`);
      assert.ok(failed.error!.message.length > 10, `${path} has a message`);
      assert.equal(failed.path, undefined, `${path} names no stored file`);
    }
    assert.equal(entry('/404.png').error?.status, 404);
    assert.equal(requests('/404.png'), 1, 'a 404 is asked once');
    assert.equal(requests('/long/0') + requests('/long/5'), 2, 'redirects stop after 5');
    assert.equal(requests('/long/6'), 0);
    assert.deepEqual(summary.failuresByCode, {
      IMG_ERR_HTTP_STATUS: 3,
      IMG_ERR_NOT_AN_IMAGE: 2,
      IMG_ERR_SVG_NOT_ALLOWED: 1,
      IMG_ERR_BODY_TIMEOUT: 1,
      IMG_ERR_TRUNCATED: 1,
      IMG_ERR_REDIRECT_LOOP: 1,
      IMG_ERR_TOO_MANY_REDIRECTS: 1,
      IMG_ERR_BAD_REDIRECT: 1,
      IMG_ERR_TOO_LARGE: 2,
    });
  });

  it('leaves no temp file and nothing from a failed URL in the store', async () => {
    assert.deepEqual(await tempFiles(join(dir.path, 'store')), []);
    const files = await humanFiles(join(dir.path, 'store'));
    assert.equal(files.length, 5, files.join(', '));
  });
});
