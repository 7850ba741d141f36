import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type Behavior, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { tempFiles } from '../../harness/store-files.js';

const URLS = 1000;

describe('origin faults at scale', () => {
  it(`${URLS} URLs, 35% failing in every way: every good image stored, every bad one reported with its code, the round bounded by the timeouts`, async () => {
    const origin = await startImageOrigin();
    const dir = await tempDir();
    try {
      const jpeg = makeJpegLike(20_000, 'scale');
      const faults: Array<[make: () => Behavior, code: string]> = [
        [() => ({ kind: 'status', status: 404 }), 'IMG_ERR_HTTP_STATUS'],
        [() => ({ kind: 'status', status: 500 }), 'IMG_ERR_HTTP_STATUS'],
        [() => ({ kind: 'reset', sent: jpeg.subarray(0, 3000), contentLength: jpeg.length }), 'IMG_ERR_TRUNCATED'],
        [() => ({ kind: 'stall', sent: jpeg.subarray(0, 3000), contentLength: jpeg.length }), 'IMG_ERR_BODY_TIMEOUT'],
        [
          () => ({
            kind: 'image',
            body: Buffer.from('<!DOCTYPE html><html><body>not an image</body></html>'),
            contentType: 'image/jpeg',
          }),
          'IMG_ERR_NOT_AN_IMAGE',
        ],
        [
          () => ({ kind: 'stream', head: jpeg.subarray(0, 100), length: 3_000_000, declareLength: false }),
          'IMG_ERR_TOO_LARGE',
        ],
      ];
      const expected = new Map<string, string | undefined>();
      const good = new Map<string, Buffer>();
      for (let i = 0; i < URLS; i++) {
        const path = `/scale/${i}.png`;
        if (i % 10 < 3) {
          const [make, code] = faults[i % faults.length]!;
          origin.set(path, make());
          expected.set(path, code);
        } else if (i % 10 === 3 && i % 20 === 3) {
          // Redirect loops on top: 5% more, 35% failing in all.
          origin.set(`/loop/${i}/a`, { kind: 'redirect', location: `/loop/${i}/b` });
          origin.set(`/loop/${i}/b`, { kind: 'redirect', location: `/loop/${i}/a` });
          origin.set(path, { kind: 'redirect', location: `/loop/${i}/a` });
          expected.set(path, 'IMG_ERR_REDIRECT_LOOP');
        } else {
          const body = makePng(`scale ${i}`, 8 + (i % 13));
          origin.set(path, { kind: 'image', body });
          good.set(path, body);
          expected.set(path, undefined);
        }
      }
      const list = join(dir.path, 'list.txt');
      await writeFile(list, [...expected.keys()].map((path) => `${origin.url}${path}`).join('\n'));
      const store = join(dir.path, 'store');
      const startedAt = Date.now();
      const result = await runCli(
        [
          'fetch',
          list,
          '--store',
          store,
          '--allow-private',
          '--json',
          '--concurrency',
          '32',
          '--per-host',
          '32',
          '--retries',
          '1',
          '--idle-timeout',
          '1s',
          '--timeout',
          '3s',
          '--max-bytes',
          '1MB',
        ],
        { timeoutMs: 120_000 },
      );
      const elapsed = Date.now() - startedAt;
      assert.equal(result.code, 1, result.stderr);
      const summary = JSON.parse(result.stdout) as RoundSummary;
      const failedShare = [...expected.values()].filter((code) => code !== undefined).length / URLS;
      assert.ok(failedShare >= 0.3, `${failedShare * 100}% of the URLs fail`);
      for (const entry of summary.entries) {
        const path = new URL(entry.url).pathname;
        const code = expected.get(path);
        if (code === undefined) {
          assert.equal(entry.status, 'downloaded', `${path}: ${JSON.stringify(entry.error)}`);
          assert.ok((await readFile(join(store, entry.path!))).equals(good.get(path)!), `${path} byte-exact`);
        } else {
          assert.equal(entry.status, 'failed', path);
          assert.equal(entry.error?.code, code, `${path}: ${entry.error?.message}`);
        }
      }
      assert.equal(summary.entries.length, URLS);
      assert.deepEqual(await tempFiles(store), []);
      // Stalls are the slowest fault: 1 s idle timeout, retried once after a backoff, 32 at a time. Without the
      // timeouts a stalled server would hold its slot forever and the round would never end.
      process.stdout.write(
        `# ${URLS} URLs (${good.size} good) in ${(elapsed / 1000).toFixed(1)} s: ${JSON.stringify(summary.failuresByCode)}\n`,
      );
      assert.ok(elapsed < 60_000, `round took ${elapsed} ms`);
    } finally {
      await origin.close();
      await dir.remove();
    }
  });
});
