import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { urlToPath } from '../../core/store/url-to-path.js';
import { runCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { humanFiles, tempFiles } from '../../harness/store-files.js';

// Root ignores mode bits, so the commands run as nobody against folders root owns.
const NOBODY = { uid: 65534, gid: 65534 };
const skip =
  process.getuid?.() === 0 ? false : "needs root (to run the command as another user than the store's owner)";

describe('a store the process may not write', { skip }, () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    // mkdtemp makes 0700 folders: nobody must be able to reach the list and the stores inside.
    await chmod(dir.path, 0o755);
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const writeList = async (name: string, urls: string[]): Promise<string> => {
    const list = join(dir.path, name);
    await writeFile(list, urls.join('\n'));
    return list;
  };

  it('fetch and worker refuse to start with IMG_ERR_STORE naming EACCES and the folder, exit 2, before any download', async () => {
    origin.set('/first.png', { kind: 'image', body: makePng('first') });
    const list = await writeList('first.txt', [`${origin.url}/first.png`]);
    const store = join(dir.path, 'root-owned');
    await mkdir(store, { mode: 0o755 });
    for (const args of [
      ['fetch', list, '--store', store, '--allow-private'],
      // An unreachable Redis: the store is checked first, so the error is the store's.
      ['worker', '--store', store, '--redis', 'redis://127.0.0.1:1'],
    ]) {
      const result = await runCli(args, { user: NOBODY });
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /IMG_ERR_STORE: cannot open the store at .*root-owned: EACCES: permission denied, mkdir '.*root-owned\/\.image-loader'/,
        args[0],
      );
    }
    assert.equal(origin.stats.byPath.get('/first.png'), undefined, 'nothing was downloaded');
  });

  it('a folder of the human tree it may not write: those URLs fail with IMG_ERR_STORE (EACCES), the others are stored, no temp file is left', async () => {
    const store = join(dir.path, 'partly-writable');
    await mkdir(store, { mode: 0o755 });
    await chown(store, NOBODY.uid, NOBODY.gid);
    const good = [0, 1, 2].map((i) => ({ url: `${origin.url}/open/${i}.png`, body: makePng(`open ${i}`) }));
    const denied = [0, 1].map((i) => ({ url: `${origin.url}/closed/${i}.png`, body: makePng(`closed ${i}`) }));
    for (const { url, body } of [...good, ...denied]) origin.set(new URL(url).pathname, { kind: 'image', body });
    // The folder the denied URLs' names go in, made by root ahead of the run.
    const [host, closed] = urlToPath(denied[0]!.url, 'png').split('/');
    await mkdir(join(store, host!), { mode: 0o755 });
    await chown(join(store, host!), NOBODY.uid, NOBODY.gid);
    await mkdir(join(store, host!, closed!), { mode: 0o755 });
    const list = await writeList(
      'partly.txt',
      [...good, ...denied].map(({ url }) => url),
    );

    const result = await runCli(['fetch', list, '--store', store, '--allow-private', '--json'], { user: NOBODY });
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout) as RoundSummary;
    for (const { url, body } of good) {
      const entry = summary.entries.find((candidate) => candidate.url === url)!;
      assert.equal(entry.status, 'downloaded', `${url}: ${entry.error?.message}`);
      assert.ok((await readFile(join(store, entry.path!))).equals(body));
    }
    for (const { url } of denied) {
      const entry = summary.entries.find((candidate) => candidate.url === url)!;
      assert.equal(entry.status, 'failed', url);
      assert.equal(entry.error?.code, 'IMG_ERR_STORE', entry.error?.message);
      assert.match(entry.error!.message, /^cannot write to the store: EACCES: permission denied, \w+ '.*\/closed\//);
      assert.equal(entry.attempts, 1, 'a store error is not retried');
    }
    assert.deepEqual(summary.failuresByCode, { IMG_ERR_STORE: denied.length });
    assert.equal((await humanFiles(store)).length, good.length, 'nothing else in the human tree');
    assert.deepEqual(await tempFiles(store), [], "the denied downloads' temp files were removed");
  });
});
