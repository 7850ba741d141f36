import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LIST_PROBE_BYTES } from '../../core/list/judge-list-probe.js';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli, startCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, sha256 } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles } from '../../harness/store-files.js';
import { blobFiles, distinctInodeBytes } from '../../harness/store-usage.js';
import { waitFor } from '../../harness/wait-for.js';

const IMAGE_BYTES = 20_000;

describe('fetch prunes the store after each complete round', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  /** The bytes each path serves now (generation `g` of image `i`). */
  const served = new Map<string, Buffer>();

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    origin.fallback((path) => {
      const body = served.get(path);
      return body === undefined ? undefined : { kind: 'image', body, contentType: 'image/jpeg' };
    });
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const serve = (set: string, count: number, generation: number): string[] => {
    const urls: string[] = [];
    for (let i = 0; i < count; i++) {
      const path = `/${set}/d${i % 5}/img${i}.jpg`;
      served.set(path, makeJpegLike(IMAGE_BYTES, `${set} ${i} generation ${generation}`));
      urls.push(`${origin.url}${path}`);
    }
    return urls;
  };
  const round = async (
    store: string,
    urls: string[],
    ...flags: string[]
  ): Promise<{ code: number | null; summary: RoundSummary | undefined; stderr: string }> => {
    const list = `${store}.list.txt`;
    await writeFile(list, urls.length === 0 ? '# nothing listed\n' : `${urls.join('\n')}\n`);
    const result = await runCli(['fetch', list, '--store', store, '--allow-private', '--json', ...flags]);
    const summary = result.stdout.trim() === '' ? undefined : (JSON.parse(result.stdout) as RoundSummary);
    return { code: result.code, summary, stderr: result.stderr };
  };
  /** Every listed URL's stored file is byte-exact what its origin serves now. */
  const assertListedExact = async (store: string, summary: RoundSummary): Promise<void> => {
    for (const entry of summary.entries) {
      assert.ok(entry.path, `${entry.url} is stored`);
      const body = served.get(new URL(entry.url).pathname)!;
      assert.equal(sha256(await readFile(join(store, entry.path))), sha256(body), entry.url);
    }
  };

  it('generations: 50 URLs changed 4 times with --keep-replaced 0 hold the live bytes plus at most 10%', async () => {
    const store = join(dir.path, 'generations');
    let urls: string[] = [];
    for (let generation = 0; generation <= 4; generation++) {
      urls = serve('gen', 50, generation);
      const { code, summary } = await round(store, urls, '--keep-replaced', '0');
      assert.equal(code, 0);
      assert.equal(summary!.counts.downloaded, 50);
      await assertListedExact(store, summary!);
      assert.equal(summary!.store?.liveFiles, 50);
      assert.equal(summary!.store?.liveBytes, 50 * IMAGE_BYTES);
      assert.equal(summary!.store?.graceFiles, 0);
      // No round walks: the first found the store empty (all it holds is in the index), the others check what they replaced.
      assert.equal(summary!.prune?.scope, 'replaced');
      if (generation > 0) {
        assert.equal(summary!.prune?.removedFiles, 50, 'the 50 replaced versions went within the round');
        assert.equal(summary!.prune?.removedBytes, 50 * IMAGE_BYTES);
      }
      const disk = await distinctInodeBytes(store);
      assert.ok(disk.bytes <= 50 * IMAGE_BYTES * 1.1, `store holds ${disk.bytes} bytes for ${50 * IMAGE_BYTES} live`);
    }
    assert.equal((await blobFiles(store)).length, 50);
    const last = JSON.parse(await readFile(join(store, '.image-loader', 'last-round.json'), 'utf8')) as RoundSummary;
    assert.equal(last.store?.liveBytes, 50 * IMAGE_BYTES, 'the store keeps its size in last-round.json');
  });

  it('with --keep-replaced 0 the replaced versions go while the round runs, once its list was read to its end', async () => {
    const store = join(dir.path, 'during');
    assert.equal((await round(store, serve('during', 10, 0), '--keep-replaced', '0')).code, 0);
    const firstBlobs = new Set(await blobFiles(store));
    assert.equal(firstBlobs.size, 10);
    const urls = serve('during', 10, 1);
    // The tenth image answers late: the round still runs when the other nine are stored and their old versions gone.
    const lastPath = new URL(urls[9]!).pathname;
    const last = { kind: 'image', body: served.get(lastPath)!, contentType: 'image/jpeg' } as const;
    origin.set(lastPath, { kind: 'delay', ms: 3_000, then: last });
    const oldLeft = async (): Promise<number> => (await blobFiles(store)).filter((blob) => firstBlobs.has(blob)).length;
    const args = ['fetch', '-', '--store', store, '--allow-private', '--json', '--keep-replaced', '0'];
    const fetch = startCli(args, { input: { open: true } });
    // Comments first: the list's first LIST_PROBE_BYTES are held back until judged to be text.
    fetch.child.stdin!.write(
      `${'# a comment to fill the probe\n'.repeat(Math.ceil(LIST_PROBE_BYTES / 30))}${urls.slice(0, 9).join('\n')}\n`,
    );
    // Nine new versions stored while the list is still open: nothing is removed, this may not be a complete round.
    await waitFor(async () => (await blobFiles(store)).length >= 19, 20_000, 'nine new versions');
    assert.equal(await oldLeft(), 10);
    fetch.child.stdin!.end(`${urls[9]}\n`);
    await waitFor(async () => (await oldLeft()) === 1, 20_000, 'the nine replaced versions removed');
    assert.equal(fetch.child.exitCode, null, 'removed while the tenth image was still on its way');
    const result = await fetch.done;
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as RoundSummary;
    assert.equal(summary.prune?.removedFiles, 10);
    assert.equal(summary.prune?.removedBytes, 10 * IMAGE_BYTES);
    assert.deepEqual(
      (await blobFiles(store)).filter((blob) => firstBlobs.has(blob)),
      [],
    );
    assert.equal((await blobFiles(store)).length, 10);
    await assertListedExact(store, summary);
  });

  it('with the default grace the previous version is still stored after one change, and a slow reader gets all of it', async () => {
    const store = join(dir.path, 'grace');
    const first = serve('grace', 10, 0);
    const { summary: one } = await round(store, first);
    const oldPath = join(store, one!.entries[0]!.path!);
    const oldBytes = await readFile(oldPath);
    // A reader that opened the old version and reads it a chunk at a time while the next round replaces it.
    const reader = await (await import('node:fs/promises')).open(oldPath, 'r');
    const chunks: Buffer[] = [];
    const readChunk = async (): Promise<number> => {
      const buffer = Buffer.alloc(1000);
      const { bytesRead } = await reader.read(buffer, 0, 1000, null);
      chunks.push(buffer.subarray(0, bytesRead));
      return bytesRead;
    };
    await readChunk();
    serve('grace', 10, 1);
    const { code, summary: two } = await round(store, first);
    assert.equal(code, 0);
    assert.equal(two!.counts.downloaded, 10);
    assert.equal(two!.prune?.removedFiles, 0, 'nothing is older than the grace');
    assert.equal(two!.store?.graceFiles, 10, 'the previous versions are kept');
    assert.equal((await blobFiles(store)).length, 20);
    // The old version's blob still names its inode: on NFS, what keeps the server-side file alive for a reader.
    assert.ok((await blobFiles(store)).some((blob) => blob.includes(sha256(oldBytes))));
    while ((await readChunk()) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await reader.close();
    assert.equal(sha256(Buffer.concat(chunks)), sha256(oldBytes), 'the slow reader got the whole old version');
    // The same store pruned by hand with a grace of 0 drops them.
    const pruned = await runCli(['prune', '--store', store, '--keep-replaced', '0', '--json']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.equal((JSON.parse(pruned.stdout) as { removedFiles: number }).removedFiles, 10);
    assert.equal((await blobFiles(store)).length, 10);
  });

  it('a shrinking list: delisted names go (and their empty folders), over --max-delist nothing goes until prune', async () => {
    const store = join(dir.path, 'shrink');
    const all = serve('shrink', 50, 0);
    const flags = ['--keep-delisted', '0', '--keep-replaced', '0'];
    await round(store, all, ...flags);
    // 50 → 40: the last 10 go, with their blobs; their folder d... stays for listed siblings.
    const forty = all.slice(0, 40);
    const { summary: shrunk } = await round(store, forty, ...flags);
    assert.equal(shrunk!.prune?.held, undefined);
    assert.equal(shrunk!.prune?.removedFiles, 20, '10 names and their 10 blobs');
    assert.equal(shrunk!.store?.liveFiles, 40);
    assert.equal((await humanFiles(store)).length, 40);
    await assertListedExact(store, shrunk!);
    // 40 → 10 (75% of the stored URLs): held, said so, nothing removed.
    const ten = all.slice(0, 10);
    const { code, summary: held, stderr } = await round(store, ten, ...flags);
    assert.equal(code, 0);
    assert.equal(held!.prune?.held?.reason, 'over-max-delist');
    assert.match(stderr, /over-max-delist: this round would remove 30 of 40 stored URLs/);
    assert.equal(held!.prune?.removedFiles, 0);
    assert.equal((await humanFiles(store)).length, 40);
    // A dry run lists them; prune by hand removes them (the operator's decision).
    const dry = await runCli(['prune', '--store', store, '--keep-delisted', '0', '--keep-replaced', '0', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout.split('\n').filter((line) => line.startsWith('would remove')).length, 60);
    assert.equal((await humanFiles(store)).length, 40, 'a dry run removes nothing');
    const real = await runCli(['prune', '--store', store, '--keep-delisted', '0', '--keep-replaced', '0', '--json']);
    assert.equal(real.code, 0, real.stderr);
    assert.equal((JSON.parse(real.stdout) as { removedBytes: number }).removedBytes, 30 * IMAGE_BYTES);
    assert.deepEqual((await humanFiles(store)).length, 10);
    const metadata = await readFile(join(store, '.image-loader', 'metadata.jsonl'), 'utf8');
    assert.equal(metadata.trim().split('\n').length, 10, 'the metadata of removed names is forgotten');
    // Folders left empty are gone; the host folder of listed URLs stays.
    const host = (await readdir(store)).filter((name) => name !== '.image-loader');
    assert.equal(host.length, 1);
    const folders = await readdir(join(store, host[0]!, 'shrink'));
    assert.deepEqual(folders.sort(), ['d0', 'd1', 'd2', 'd3', 'd4']);
    await round(store, ten.slice(0, 5), '--keep-delisted', '0', '--keep-replaced', '0', '--max-delist', '50');
    assert.deepEqual((await readdir(join(store, host[0]!, 'shrink'))).sort(), ['d0', 'd1', 'd2', 'd3', 'd4']);
    await round(store, [all[0]!], '--keep-delisted', '0', '--keep-replaced', '0', '--max-delist', '100');
    assert.deepEqual(await readdir(join(store, host[0]!, 'shrink')), ['d0'], 'emptied folders removed');
  });

  it('an empty list, an unreadable list and a failed URL remove nothing', async () => {
    const store = join(dir.path, 'safety');
    const urls = serve('safety', 10, 0);
    const flags = ['--keep-delisted', '0', '--keep-replaced', '0'];
    const { summary: first } = await round(store, urls, ...flags);
    const before = await humanFiles(store);
    const { code: emptyCode, summary: empty, stderr } = await round(store, [], ...flags);
    assert.equal(emptyCode, 0);
    assert.equal(empty!.prune?.held?.reason, 'no-valid-url');
    assert.match(stderr, /no-valid-url/);
    assert.deepEqual(await humanFiles(store), before);
    // A list URL answering 503, and a list file that is not there: the round fails, nothing is removed.
    origin.set('/list-503', { kind: 'status', status: 503, body: 'busy' });
    const unreadable = await runCli(['fetch', `${origin.url}/list-503`, '--store', store, '--allow-private', ...flags]);
    assert.equal(unreadable.code, 2, unreadable.stderr);
    const missing = await runCli(['fetch', join(dir.path, 'no-such-list'), '--store', store, ...flags]);
    assert.equal(missing.code, 2);
    assert.deepEqual(await humanFiles(store), before);
    // A URL that fails this round (404) is still listed: its image stays.
    served.delete(new URL(urls[3]!).pathname);
    const { code, summary } = await round(store, urls, ...flags);
    assert.equal(code, 1);
    assert.equal(summary!.counts.failed, 1);
    assert.deepEqual(await humanFiles(store), before);
    assert.equal(summary!.store?.liveFiles, 10);
    assert.equal(first!.entries.length, 10);
  });

  it('rounds check what they replaced and what is in its grace; the store is walked when a delisting is due, and hourly', async () => {
    const store = join(dir.path, 'scope');
    const pruneRecord = join(store, '.image-loader', 'prune-record.json');
    const urls = serve('scope', 10, 0);
    assert.equal((await round(store, urls)).summary!.prune?.scope, 'replaced', 'a new store needs no walk');
    serve('scope', 10, 1);
    const graced = (await round(store, urls, '--keep-replaced', '2')).summary!;
    assert.deepEqual([graced.prune?.scope, graced.prune?.removedFiles, graced.store?.graceFiles], ['replaced', 0, 10]);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const later = (await round(store, urls, '--keep-replaced', '2')).summary!;
    assert.equal(later.counts.unchanged, 10, 'nothing replaced this round');
    assert.deepEqual([later.prune?.scope, later.prune?.removedFiles, later.store?.graceFiles], ['replaced', 10, 0]);
    assert.equal((await blobFiles(store)).length, 10, 'the versions kept for their grace went in a later round');

    // A blob no round's bookkeeping names (a process killed between commit and prune): only a full walk finds it.
    const orphan = join(store, '.image-loader', 'blobs', 'ff', `ff${'0'.repeat(62)}.jpg`);
    await mkdir(dirname(orphan), { recursive: true });
    await writeFile(orphan, makeJpegLike(IMAGE_BYTES, 'orphan'));
    const flags = ['--keep-replaced', '0', '--keep-delisted', '2'];
    const shrunk = (await round(store, urls.slice(0, 8), ...flags)).summary!;
    assert.deepEqual([shrunk.prune?.scope, shrunk.prune?.removedFiles], ['replaced', 0]);
    assert.equal(shrunk.store?.liveFiles, 10, 'the two delisted names stay for their grace');
    assert.ok(await stat(orphan), 'the orphan waits for a full walk');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const due = (await round(store, urls.slice(0, 8), ...flags)).summary!;
    assert.deepEqual(
      [due.prune?.scope, due.prune?.removedFiles],
      ['full', 2 + 2 + 1],
      'two names, their blobs, the orphan',
    );
    assert.equal(due.store?.liveFiles, 8);
    await assertListedExact(store, due);

    await writeFile(orphan, makeJpegLike(IMAGE_BYTES, 'orphan'));
    assert.equal((await round(store, urls.slice(0, 8), ...flags)).summary!.prune?.scope, 'replaced');
    const record = JSON.parse(await readFile(pruneRecord, 'utf8')) as { fullWalkAtMs: number };
    await writeFile(pruneRecord, JSON.stringify({ ...record, fullWalkAtMs: Date.now() - 61 * 60_000 }));
    const hourly = (await round(store, urls.slice(0, 8), ...flags)).summary!;
    assert.deepEqual(
      [hourly.prune?.scope, hourly.prune?.removedFiles],
      ['full', 1],
      'the hourly walk finds the orphan',
    );
    assert.equal((await blobFiles(store)).length, 8);
  });

  it('an old store with dead blobs (written without pruning) is cleaned by the first round', async () => {
    const store = join(dir.path, 'old');
    const keepAll = ['--keep-replaced', 'forever', '--keep-delisted', 'forever'];
    let urls: string[] = [];
    for (let generation = 0; generation < 3; generation++) {
      urls = serve('old', 10, generation);
      await round(store, urls, ...keepAll);
    }
    // The version without pruning wrote neither record: without them the first round walks the whole store.
    for (const file of ['prune-record.json', 'delisted.json'])
      await rm(join(store, '.image-loader', file), { force: true });
    assert.equal((await blobFiles(store)).length, 30, 'the store as the version without pruning left it');
    const { summary } = await round(store, urls, '--keep-replaced', '0');
    assert.equal(summary!.prune?.scope, 'full');
    assert.equal(summary!.counts.unchanged, 10);
    assert.equal(summary!.prune?.removedFiles, 20);
    assert.equal((await blobFiles(store)).length, 10);
    await assertListedExact(store, summary!);
  });

  it('a round racing prune: a commit linking a blob prune is removing loses nothing', async () => {
    const store = join(dir.path, 'race');
    const flags = ['--keep-replaced', '0', '--keep-delisted', 'forever'];
    const count = 30;
    const a = serve('race', count, 0);
    await round(store, a, '--keep-replaced', 'forever');
    for (let flip = 1; flip <= 2; flip++) {
      // Odd flips bring back generation 0, whose blobs are dead (link count 1) and being pruned meanwhile.
      serve('race', count, flip % 2);
      let pruning = true;
      const pruner = (async () => {
        let runs = 0;
        while (pruning) {
          const result = await runCli(['prune', '--store', store, '--keep-replaced', '0']);
          assert.equal(result.code, 0, result.stderr);
          runs++;
        }
        return runs;
      })();
      const { code, summary } = await round(store, a, '--concurrency', '16', ...flags);
      pruning = false;
      assert.ok((await pruner) >= 1);
      assert.equal(code, 0, `round ${flip}: ${JSON.stringify(summary?.failuresByCode)}`);
      await assertListedExact(store, summary!);
      const again = await round(store, a, ...flags);
      assert.equal(again.summary!.counts.unchanged, count, 'every listed image is where the round left it');
    }
  });
});
