import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPrivateAddress } from '../../core/download/address-policy.js';
import { Downloader, type DownloadSettings } from '../../core/download/downloader.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { ImageStore } from '../../core/store/image-store.js';
import { runCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';

const settings: DownloadSettings = {
  maxBytes: 1_000_000,
  timeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  idleTimeoutMs: 2_000,
  maxRedirects: 5,
  perHost: 4,
  allowPrivate: false,
  allowSvg: false,
  userAgent: 'image-loader-test',
  fsync: false,
  revalidate: 'always',
};

describe('SSRF guard', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    origin.set('/a.png', { kind: 'image', body: makePng('a') });
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  it('is on by default: loopback by literal IP, decimal and octal IP, IPv6 and by name are refused before any request', async () => {
    const port = origin.port;
    const urls = [
      `http://127.0.0.1:${port}/a.png`,
      `http://2130706433:${port}/a.png`,
      `http://0177.0.0.1:${port}/a.png`,
      `http://0x7f.1:${port}/a.png`,
      `http://localhost:${port}/a.png`,
      `http://[::1]:${port}/a.png`,
      `http://[::ffff:127.0.0.1]:${port}/a.png`,
      `http://0.0.0.0:${port}/a.png`,
    ];
    const list = join(dir.path, 'ssrf.txt');
    // Distinct paths: the decimal and octal forms normalise to 127.0.0.1 and would otherwise be deduplicated.
    await writeFile(list, urls.map((url, i) => `${url}?${i}`).join('\n'));
    const result = await runCli(['fetch', list, '--store', join(dir.path, 'store'), '--json']);
    assert.equal(result.code, 1);
    const summary = JSON.parse(result.stdout) as RoundSummary;
    assert.equal(summary.entries.length, urls.length);
    for (const entry of summary.entries) {
      assert.equal(entry.error?.code, 'IMG_ERR_BLOCKED_ADDRESS', `${entry.url}: ${entry.error?.message}`);
      assert.match(entry.error!.message, /--allow-private/);
      assert.equal(entry.attempts, 1, 'a refusal is not retried');
    }
    assert.equal(origin.stats.requests, 0, 'nothing reached the origin');
  });

  it('checks every redirect hop: a permitted host redirecting to a refused loopback address is stopped', async () => {
    // 127.0.0.2 stands for a public host; every other non-public address stays refused.
    const permitted = await startImageOrigin({ host: '127.0.0.2' });
    const { store } = await ImageStore.open(join(dir.path, 'redirect-store'));
    const downloader = new Downloader(
      store,
      settings,
      (address) => address !== '127.0.0.2' && isPrivateAddress(address),
    );
    try {
      permitted.set('/ok.png', { kind: 'image', body: makePng('ok') });
      permitted.set('/to-loopback', { kind: 'redirect', location: `${origin.url}/a.png` });
      permitted.set('/to-metadata', { kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' });
      permitted.set('/to-localhost', { kind: 'redirect', location: `http://localhost:${origin.port}/a.png` });
      // Every other spelling of this machine that a Location header can carry (none of them leaves it;
      // the private ranges that are not on this machine are tested in an isolated namespace: hostile-hosts.test.ts).
      const spellings = [
        '[::1]',
        '0.0.0.0',
        '2130706433',
        '0177.0.0.1',
        '0x7f.1',
        '[::ffff:127.0.0.1]',
        '[::ffff:7f00:1]',
        '127.1.2.3',
      ];
      for (const [i, host] of spellings.entries())
        permitted.set(`/to-form-${i}`, { kind: 'redirect', location: `http://${host}:${origin.port}/a.png` });

      const ok = await downloader.download(`${permitted.url}/ok.png`, undefined);
      assert.equal(ok.image.status, 'downloaded', 'the permitted host itself works');
      for (const path of [
        '/to-loopback',
        '/to-metadata',
        '/to-localhost',
        ...spellings.map((_, i) => `/to-form-${i}`),
      ]) {
        await assert.rejects(downloader.download(`${permitted.url}${path}`, undefined), (error: unknown) => {
          assert.ok(error instanceof ImageLoaderError);
          assert.equal(error.code, 'IMG_ERR_BLOCKED_ADDRESS', `${path}: ${error.message}`);
          assert.equal(error.retryable, false);
          return true;
        });
      }
      assert.equal(origin.stats.requests, 0, 'the loopback origin never saw a request');
    } finally {
      await downloader.close();
      await permitted.close();
    }
  });

  it('--allow-private turns it off', async () => {
    const list = join(dir.path, 'allowed.txt');
    await writeFile(list, `${origin.url}/a.png\n`);
    const result = await runCli(['fetch', list, '--store', join(dir.path, 'store'), '--allow-private', '--json']);
    assert.equal(result.code, 0, result.stderr);
  });
});
