import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { RoundSummary, UrlEntry } from '../../core/round/round-summary.js';
import { type CliResult, startCli } from '../../harness/cli-process.js';
import { type Behavior, type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { trackPeakRss } from '../../harness/process-usage.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';

/** Measured ~111 MiB for the hostile round below (a one-URL round: ~100 MiB); a body held whole (10 MB excess, 20 MB cut-off, a 1 GiB bomb) would show. */
const PEAK_RSS_LIMIT_MIB = 200;
// Roomy enough that a loaded machine (the suite runs files two at a time) does not trip the headers timeout.
const TIMEOUT_S = 5;
const IDLE_TIMEOUT_S = 2;
const MAX_BYTES = 20_000_000;

/** A gzip stream that inflates to `mebibytes` MiB of zeros: 1 MiB members concatenated, about 1 KiB each. */
function gzipBomb(mebibytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(1 << 20));
  return Buffer.concat(Array.from({ length: mebibytes }, () => member));
}

async function measuredFetch(args: string[]): Promise<CliResult & { elapsedMs: number; peakRssMib: number }> {
  const startedAt = Date.now();
  const cli = startCli(['fetch', ...args], { timeoutMs: 60_000 });
  const rss = trackPeakRss(cli.child.pid!);
  const result = await cli.done;
  return { ...result, elapsedMs: Date.now() - startedAt, peakRssMib: (rss.stop() ?? 0) / 1024 };
}

describe('fetch: hostile content under image URLs', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  const png = makePng('hostile content', 20);
  const good = makePng('good', 9);
  const jpeg = makeJpegLike(100_000, 'hostile');
  const svg = Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>fetch("/steal?c=" + document.cookie)</script></svg>\n',
  );
  const bomb = gzipBomb(1024);

  const routes: Record<string, Behavior> = {
    '/login.jpg': {
      kind: 'image',
      contentType: 'image/jpeg',
      body: Buffer.from(
        '<!DOCTYPE html>\n<html><head><script>document.location="https://evil.example/"</script></head><body>Sign in</body></html>\n',
      ),
    },
    '/script.png': {
      kind: 'image',
      contentType: 'image/png',
      body: Buffer.from('fetch("/steal?c=" + document.cookie);\n'),
    },
    '/script-tag.gif': { kind: 'image', contentType: 'image/gif', body: Buffer.from('<script>alert(1)</script>') },
    '/vector.png': { kind: 'image', contentType: 'image/svg+xml', body: svg },
    '/declares-50GB.jpg': { kind: 'lie', contentLength: 50_000_000_000, body: jpeg.subarray(0, 100), then: 'hang' },
    '/declares-10MB-sends-100-then-closes.png': {
      kind: 'lie',
      contentLength: 10_000_000,
      body: png.subarray(0, 100),
      then: 'close',
    },
    '/declares-10MB-sends-100-then-hangs.png': {
      kind: 'lie',
      contentLength: 10_000_000,
      body: png.subarray(0, 100),
      then: 'hang',
    },
    '/declares-its-size-sends-10MB-more.png': {
      kind: 'lie',
      contentLength: png.length,
      body: png,
      then: 'overflow',
      extraBytes: 10_000_000,
    },
    '/gzip-bomb.png': { kind: 'image', body: bomb, headers: { 'content-encoding': 'gzip' } },
    '/fast-forever.jpg': {
      kind: 'stream',
      head: jpeg.subarray(0, 100),
      length: Number.POSITIVE_INFINITY,
      declareLength: false,
    },
    '/slow-forever.jpg': { kind: 'trickle', head: jpeg.subarray(0, 100), chunkBytes: 16, intervalMs: 100 },
    '/good.png': { kind: 'image', body: good },
  };
  // path -> [code, message pattern]; absent: downloaded.
  const refused: Record<string, [string, RegExp]> = {
    '/login.jpg': ['IMG_ERR_NOT_AN_IMAGE', /looks like HTML/],
    '/script.png': ['IMG_ERR_NOT_AN_IMAGE', /looks like an unknown format/],
    '/script-tag.gif': ['IMG_ERR_NOT_AN_IMAGE', /looks like XML or HTML/],
    '/vector.png': ['IMG_ERR_SVG_NOT_ALLOWED', /can carry scripts; refused unless --allow-svg/],
    '/declares-50GB.jpg': [
      'IMG_ERR_TOO_LARGE',
      /^Content-Length 50000000000 bytes exceeds the limit of 20000000 bytes/,
    ],
    // Up to 100: bytes still buffered when the close is seen are dropped with the stream.
    '/declares-10MB-sends-100-then-closes.png': [
      'IMG_ERR_TRUNCATED',
      /^body truncated: the server closed the connection after (\d|[1-9]\d|100) of the 10000000 bytes its Content-Length declared$/,
    ],
    '/declares-10MB-sends-100-then-hangs.png': ['IMG_ERR_BODY_TIMEOUT', /stopped sending the body/],
    '/gzip-bomb.png': ['IMG_ERR_NOT_AN_IMAGE', /looks like gzip data/],
    '/fast-forever.jpg': ['IMG_ERR_TOO_LARGE', /^body exceeds the limit of 20000000 bytes/],
    '/slow-forever.jpg': ['IMG_ERR_DEADLINE', new RegExp(`within ${TIMEOUT_S} s \\(--timeout\\)`)],
  };

  let result: CliResult & { elapsedMs: number; peakRssMib: number };
  let summary: RoundSummary;
  const storeRoot = (): string => join(dir.path, 'store');

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    for (const [path, behavior] of Object.entries(routes)) origin.set(path, behavior);
    const list = join(dir.path, 'list.txt');
    await writeFile(
      list,
      Object.keys(routes)
        .map((path) => `${origin.url}${path}`)
        .join('\n'),
    );
    result = await measuredFetch([
      list,
      '--store',
      storeRoot(),
      '--allow-private',
      '--json',
      '--retries',
      '0',
      '--timeout',
      `${TIMEOUT_S}s`,
      '--idle-timeout',
      `${IDLE_TIMEOUT_S}s`,
      '--max-bytes',
      String(MAX_BYTES),
    ]);
    summary = JSON.parse(result.stdout) as RoundSummary;
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const entry = (path: string, from = summary): UrlEntry => {
    const found = from.entries.find((candidate) => candidate.url === `${origin.url}${path}`);
    assert.ok(found, `an entry for ${path}`);
    return found;
  };
  /** From the request's arrival to the moment its connection closed, as the origin saw it. */
  const heldMs = (path: string): number => origin.stats.closedAt.get(path)![0]! - origin.stats.arrivals.get(path)![0]!;

  it('refuses each with its own code and a message saying what it was', () => {
    assert.equal(result.code, 1, result.stderr);
    for (const [path, [code, message]] of Object.entries(refused)) {
      const failed = entry(path);
      assert.equal(failed.status, 'failed', path);
      assert.equal(failed.error?.code, code, `${path}: ${failed.error?.message}`);
      assert.match(failed.error!.message, message, path);
      assert.equal(failed.path, undefined, `${path} names no stored file`);
    }
  });

  it('stores nothing of them: only the good image, and for a Content-Length that lies low, exactly the declared bytes', async () => {
    assert.ok((await readFile(join(storeRoot(), entry('/good.png').path!))).equals(good));
    const low = entry('/declares-its-size-sends-10MB-more.png');
    assert.equal(low.status, 'downloaded', JSON.stringify(low.error));
    assert.equal(low.bytes, png.length, 'the 10 MB past the declared length never reach the file');
    assert.ok((await readFile(join(storeRoot(), low.path!))).equals(png));
    assert.deepEqual(
      await humanFiles(storeRoot()),
      [entry('/declares-its-size-sends-10MB-more.png').path!, entry('/good.png').path!].sort(),
    );
    assert.deepEqual(await tempFiles(storeRoot()), [], 'no temp file left behind');
    const blobs = await humanFiles(join(storeRoot(), '.image-loader', 'blobs'));
    assert.equal(blobs.length, 2, blobs.join(', '));
  });

  it('gives up on a lying or endless body within the limits: at once for a 50 GB Content-Length, at --max-bytes, at --idle-timeout, at --timeout', () => {
    assert.ok(
      heldMs('/declares-50GB.jpg') < 1_000,
      `the 50 GB body was dropped after ${heldMs('/declares-50GB.jpg')} ms`,
    );
    assert.ok(
      heldMs('/declares-10MB-sends-100-then-hangs.png') >= IDLE_TIMEOUT_S * 1000 - 100,
      'waited out the idle timeout',
    );
    assert.ok(
      heldMs('/declares-10MB-sends-100-then-hangs.png') < IDLE_TIMEOUT_S * 1000 + 1_500,
      `held ${heldMs('/declares-10MB-sends-100-then-hangs.png')} ms`,
    );
    assert.ok(
      heldMs('/fast-forever.jpg') < TIMEOUT_S * 1000,
      `an endless fast body cut at --max-bytes after ${heldMs('/fast-forever.jpg')} ms`,
    );
    // The deadline runs from before the request left, so the origin sees a little less of it.
    assert.ok(
      heldMs('/slow-forever.jpg') > IDLE_TIMEOUT_S * 1000 + 1_000,
      `a trickle never trips the idle timeout; the deadline ended it after ${heldMs('/slow-forever.jpg')} ms`,
    );
    assert.ok(heldMs('/slow-forever.jpg') < TIMEOUT_S * 1000 + 1_500, `held ${heldMs('/slow-forever.jpg')} ms`);
    assert.ok(result.elapsedMs < TIMEOUT_S * 1000 + 5_000, `the round took ${result.elapsedMs} ms`);
  });

  it('in bounded memory: the bomb is never inflated (Accept-Encoding: identity, no decoding), no body is held whole', () => {
    assert.equal(origin.stats.lastHeaders.get('/gzip-bomb.png')?.['accept-encoding'], 'identity');
    assert.ok(result.peakRssMib < PEAK_RSS_LIMIT_MIB, `peak RSS ${result.peakRssMib.toFixed(0)} MiB`);
    process.stdout.write(
      `# hostile content round: ${result.elapsedMs} ms, peak RSS ${result.peakRssMib.toFixed(0)} MiB\n`,
    );
  });

  it('with --allow-svg, an SVG carrying a script is stored as SVG (the web node serves it sandboxed: see web.test.ts)', async () => {
    const list = join(dir.path, 'svg.txt');
    await writeFile(list, `${origin.url}/vector.png\n`);
    const allowed = await measuredFetch([list, '--store', storeRoot(), '--allow-private', '--json', '--allow-svg']);
    assert.equal(allowed.code, 0, allowed.stdout);
    const stored = entry('/vector.png', JSON.parse(allowed.stdout) as RoundSummary);
    assert.equal(stored.contentType, 'image/svg+xml');
    assert.match(stored.path!, /\/vector\.png\^\.svg$/, 'named with the extension of its sniffed type, not its URL');
    assert.ok((await readFile(join(storeRoot(), stored.path!))).equals(svg));
  });

  it('a connection that carried bytes past its Content-Length is not trusted for the next response', async () => {
    const list = join(dir.path, 'overflow.txt');
    const next = makePng('next on the same host', 11);
    origin.set('/next.png', { kind: 'image', body: next });
    await writeFile(list, `${origin.url}/declares-its-size-sends-10MB-more.png?again\n${origin.url}/next.png\n`);
    origin.set('/declares-its-size-sends-10MB-more.png?again', routes['/declares-its-size-sends-10MB-more.png']!);
    const serial = await measuredFetch([
      list,
      '--store',
      join(dir.path, 'serial'),
      '--allow-private',
      '--json',
      '--concurrency',
      '1',
      '--per-host',
      '1',
      '--retries',
      '1',
    ]);
    assert.equal(serial.code, 0, serial.stdout);
    const stored = entry('/next.png', JSON.parse(serial.stdout) as RoundSummary);
    assert.ok(
      (await readFile(join(dir.path, 'serial', stored.path!))).equals(next),
      'the next image is its own response, byte-exact',
    );
  });
});

describe('fetch: a list URL whose body is a gzip bomb', () => {
  it('is decoded as a stream (fetch inflates it) and refused within its first bytes, in bounded memory', async () => {
    const origin = await startImageOrigin();
    const dir = await tempDir();
    try {
      origin.set('/list.txt', {
        kind: 'image',
        contentType: 'text/plain',
        body: gzipBomb(1024),
        headers: { 'content-encoding': 'gzip' },
      });
      const result = await measuredFetch([`${origin.url}/list.txt`, '--store', join(dir.path, 'store')]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /IMG_ERR_LIST_BINARY: URL list http:\/\/127\.0\.0\.1:\d+\/list\.txt looks like a binary file \(8000 of its first 8000 bytes are NUL\)/,
      );
      assert.ok(result.peakRssMib < PEAK_RSS_LIMIT_MIB, `peak RSS ${result.peakRssMib.toFixed(0)} MiB`);
      assert.ok(result.elapsedMs < 10_000, `${result.elapsedMs} ms`);
    } finally {
      await origin.close();
      await dir.remove();
    }
  });
});
