import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { tempFiles } from '../../harness/store-files.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (to mount a small tmpfs as the store)';
if (skip) process.stdout.write(`# skipping the disk-full test: ${skip}\n`);

describe('a full disk under the store', { skip }, () => {
  it('fails the URLs that do not fit with ENOSPC, removes their temp files, keeps what is stored, and recovers when there is room', async () => {
    const origin = await startImageOrigin();
    const dir = await tempDir();
    const store = join(dir.path, 'store');
    let mounted = false;
    try {
      await mkdir(store);
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1200k', 'tmpfs', store]).status, 0);
      mounted = true;
      const small = Array.from({ length: 5 }, (_, i) => [`/small/${i}.png`, makePng(`small ${i}`, 16)] as const);
      const large = Array.from(
        { length: 20 },
        (_, i) => [`/large/${i}.jpg`, makeJpegLike(100_000, `large ${i}`)] as const,
      );
      for (const [path, body] of [...small, ...large]) origin.set(path, { kind: 'image', body });
      const list = join(dir.path, 'list.txt');
      const fetch = async (
        paths: ReadonlyArray<readonly [string, Buffer]>,
      ): Promise<{ code: number | null; summary: RoundSummary; stderr: string }> => {
        await writeFile(list, paths.map(([path]) => `${origin.url}${path}`).join('\n'));
        const result = await runCli(['fetch', list, '--store', store, '--allow-private', '--json', '--retries', '0']);
        return { code: result.code, summary: JSON.parse(result.stdout) as RoundSummary, stderr: result.stderr };
      };

      const first = await fetch(small);
      assert.equal(first.code, 0, first.stderr);

      const full = await fetch([...small, ...large]);
      assert.equal(full.code, 1, 'some URLs failed');
      const failed = full.summary.entries.filter((entry) => entry.status === 'failed');
      assert.ok(
        failed.length > 0 && failed.length < large.length,
        `${failed.length} of ${large.length} large images failed: some fit, some did not`,
      );
      for (const entry of failed) {
        assert.equal(entry.error?.code, 'IMG_ERR_STORE', JSON.stringify(entry));
        assert.match(entry.error!.message, /ENOSPC/);
      }
      assert.deepEqual(await tempFiles(store), [], 'no temp file is left to fill the disk further');
      for (const entry of first.summary.entries) {
        const body = small.find(([path]) => entry.url.endsWith(path))![1];
        assert.ok((await readFile(join(store, entry.path!))).equals(body), `${entry.path} is untouched`);
      }
      for (const entry of full.summary.entries.filter((e) => e.status === 'downloaded')) {
        const body = large.find(([path]) => entry.url.endsWith(path))![1];
        assert.ok((await readFile(join(store, entry.path!))).equals(body), `${entry.path} that fit is whole`);
      }

      assert.equal(spawnSync('mount', ['-o', 'remount,size=8m', store]).status, 0);
      const roomy = await fetch([...small, ...large]);
      assert.equal(roomy.code, 0, roomy.stderr);
      assert.equal(roomy.summary.counts.failed, 0);
      assert.equal(
        roomy.summary.counts.downloaded,
        failed.length,
        'exactly the ones that did not fit are downloaded now',
      );
    } finally {
      if (mounted) spawnSync('umount', [store]);
      await origin.close();
      await dir.remove();
    }
  });
});
