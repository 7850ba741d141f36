import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { fetchStore, humanFiles } from '../../harness/store-files.js';
import { waitFor } from '../../harness/wait-for.js';
import { startWebNode, type WebNode } from '../../harness/web-node.js';

const IMAGES = ['/h/img001.png', '/h/a/img002.png', '/h/a/b/img003.png', '/h/c d/img004.png'];
const WGET_TIMEOUT_MS = 60_000;

function wgetAvailable(): boolean {
  return spawnSync('wget', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** `wget -m` of the whole node into `folder`, as an operator's scheduled mirror runs it: its exit code and log. */
function mirror(port: number, folder: string): Promise<{ code: number | null; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'wget',
      ['-m', '-np', '-nH', '-e', 'robots=off', '--tries=1', '--timeout=10', `http://127.0.0.1:${port}/`],
      { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), WGET_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, log });
    });
  });
}

describe('a real client: wget -m mirrors the web node, and a re-run re-checks every image with 304', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let node: WebNode;
  let store: string;

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir('image-loader-wget-');
    IMAGES.forEach((path, index) => {
      origin.set(encodeURI(path), { kind: 'image', body: makePng(`wget-${index}`, 32 + index) });
    });
    store = join(dir.path, 'store');
    await fetchStore(
      IMAGES.map((path) => `${origin.url}${encodeURI(path)}`),
      store,
    );
    node = await startWebNode(store);
  });
  after(async () => {
    await node?.process.stop();
    await origin?.close();
    await dir?.remove();
  });

  it('twice into one folder: both exit 0, the second downloads no image again, every file byte for byte', async (t) => {
    if (!wgetAvailable()) {
      t.skip('wget is not installed (Debian: apt-get install wget)');
      return;
    }
    const folder = join(dir.path, 'mirror');
    await mkdir(folder);
    const images = await humanFiles(store);
    assert.equal(images.length, IMAGES.length);
    const imageRequests = (from: number) =>
      node.process
        .logs()
        .slice(from)
        .filter((line) => line.msg === 'request' && String(line.path).endsWith('.png'));

    // The access log reaches the node's stdout after the answers (written in batches, then through a pipe):
    // each run's lines are waited for, so that none of one run is counted in the other.
    const logged = (from: number, count: number) =>
      waitFor(() => imageRequests(from).length >= count, 10_000, `${count} image request lines in the log`);
    const first = await mirror(node.port, folder);
    assert.equal(first.code, 0, first.log.slice(-3000));
    await logged(0, images.length);
    const afterFirst = node.process.logs().length;
    const second = await mirror(node.port, folder);
    assert.equal(second.code, 0, second.log.slice(-3000));
    await logged(afterFirst, images.length);
    // A request more than one per image would arrive with or after these: give it the same time to show.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const rechecks = imageRequests(afterFirst);
    assert.deepEqual(
      rechecks.map((line) => line.status),
      images.map(() => 304),
      'the second run asks once per image, and every answer is a 304',
    );
    for (const image of images)
      assert.ok(
        (await readFile(join(folder, image))).equals(await readFile(join(store, image))),
        `${image} differs from the store`,
      );
  });
});
