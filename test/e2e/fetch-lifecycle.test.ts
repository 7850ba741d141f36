import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli, startCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';
import { waitFor } from '../../harness/wait-for.js';

describe('fetch: killed, stopped and repeated', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  const big = makeJpegLike(400_000, 'half-sent');

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    origin.set('/done.png', { kind: 'image', body: makePng('done') });
    // Sends half the body, then nothing: the download is mid-body when killed.
    origin.set('/half.jpg', { kind: 'stall', sent: big.subarray(0, 200_000), contentLength: big.length });
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  it('SIGKILL mid-download leaves no visible partial file; the next start removes the temp file', async () => {
    const store = join(dir.path, 'killed');
    const list = join(dir.path, 'kill.txt');
    await writeFile(list, `${origin.url}/done.png\n${origin.url}/half.jpg\n`);
    const running = startCli(['fetch', list, '--store', store, '--allow-private', '--idle-timeout', '60s']);
    await waitFor(
      async () => (await tempFiles(store)).length > 0 && (origin.stats.byPath.get('/half.jpg') ?? 0) > 0,
      10_000,
      'the download to start',
    );
    // Give the body time to reach the temp file.
    await waitFor(async () => (await humanFiles(store)).length === 1, 10_000, 'the first image');
    running.child.kill('SIGKILL');
    const result = await running.done;
    assert.equal(result.signal, 'SIGKILL');

    const files = await humanFiles(store);
    assert.equal(files.length, 1, `only the complete image is visible: ${files.join(', ')}`);
    assert.match(files[0]!, /done\.png$/);
    // The half download's temp file, and maybe a metadata temp file the kill interrupted.
    const leftovers = (await tempFiles(store)).length;
    assert.ok(leftovers >= 1, 'the killed download left its temp file, hidden in .image-loader/tmp');

    origin.set('/half.jpg', { kind: 'image', body: big });
    const next = await runCli(['fetch', list, '--store', store, '--allow-private']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`removed ${leftovers} temp file\\(s\\) left by an interrupted run`));
    assert.deepEqual(await tempFiles(store), [], 'no temp file after the next run');
    assert.equal((await humanFiles(store)).length, 2);
    origin.set('/half.jpg', { kind: 'stall', sent: big.subarray(0, 200_000), contentLength: big.length });
  });

  it('--every repeats rounds without overlap and stops cleanly on SIGTERM, mid-download, leaving no temp file', async () => {
    const store = join(dir.path, 'every');
    const list = join(dir.path, 'every.txt');
    await writeFile(list, `${origin.url}/done.png\n`);
    origin.resetStats();
    const running = startCli([
      'fetch',
      list,
      '--store',
      store,
      '--allow-private',
      '--every',
      '1s',
      '--json',
      '--idle-timeout',
      '60s',
    ]);
    await waitFor(() => (origin.stats.byPath.get('/done.png') ?? 0) >= 3, 10_000, 'three rounds');
    const rounds = running
      .output()
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RoundSummary);
    assert.ok(rounds.length >= 2, 'one JSON summary a round');
    for (let i = 1; i < rounds.length; i++) {
      assert.ok(
        Date.parse(rounds[i]!.startedAt) >= Date.parse(rounds[i - 1]!.finishedAt),
        'a round starts after the previous one finished',
      );
      const gap = Date.parse(rounds[i]!.startedAt) - Date.parse(rounds[i - 1]!.startedAt);
      assert.ok(gap >= 900 && gap < 3000, `rounds one interval apart (${gap} ms)`);
    }
    assert.equal(rounds[1]!.entries[0]!.status, 'unchanged');

    // Now make the next round hang mid-body, and stop the process during it.
    await writeFile(list, `${origin.url}/done.png\n${origin.url}/half.jpg\n`);
    await waitFor(async () => (await tempFiles(store)).length > 0, 10_000, 'a download in progress');
    running.child.kill('SIGTERM');
    const result = await running.done;
    assert.equal(result.code, 0, `exit 0 on SIGTERM; stderr: ${result.stderr}`);
    assert.match(result.stderr, /SIGTERM: stopping/);
    assert.deepEqual(await tempFiles(store), [], 'the aborted download removed its temp file');
    assert.equal((await humanFiles(store)).length, 1);
    const last = JSON.parse(await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
    assert.equal(last.aborted, undefined, 'last-round.json holds the last complete round, not the stopped one');
  });
});
