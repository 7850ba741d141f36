import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { makeDirectory } from '../core/store/make-directory.js';
import { IMAGE_LOADER_CLI } from '../harness/cli-process.js';
import { startImageOrigin } from '../harness/origin/image-origin.js';
import { makePng } from '../harness/origin/sample-images.js';

/**
 * `npm run demo`: the main job on an example list, offline. Starts a small
 * image server on 127.0.0.1 (a random free port), writes a list of its
 * images, and runs `image-loader fetch` on it twice: the first round
 * downloads, the second only revalidates (HTTP 304, no body bytes).
 * The images land in ./images; the list is kept in ./demo-list.txt.
 */
async function main(): Promise<void> {
  const origin = await startImageOrigin();
  const names = ['red', 'green', 'blue', 'orange', 'purple', 'teal'];
  for (const [i, name] of names.entries()) {
    origin.set(`/gallery/${name}.png`, { kind: 'image', body: makePng(name, 64 + i * 16) });
  }
  // The same image under a URL without an extension, and one behind a redirect.
  origin.set('/avatar', { kind: 'image', body: makePng('avatar', 48) });
  origin.set('/latest', { kind: 'redirect', location: '/gallery/blue.png' });

  const listFile = resolve('demo-list.txt');
  const urls = [
    ...names.map((name) => `${origin.url}/gallery/${name}.png`),
    `${origin.url}/avatar`,
    `${origin.url}/latest`,
  ];
  await writeFile(listFile, `# image-loader demo list: one URL a line\n${urls.join('\n')}\n`);
  const store = resolve('images');
  await makeDirectory(store);

  try {
    for (const round of [1, 2]) {
      process.stdout.write(`\n== round ${round}: image-loader fetch ${listFile} --store ${store} --allow-private\n`);
      // --allow-private: the demo origin is on loopback, which the SSRF guard refuses by default.
      const code = await run([IMAGE_LOADER_CLI, 'fetch', listFile, '--store', store, '--allow-private']);
      if (code !== 0) throw new Error(`image-loader fetch exited ${code}`);
    }
    process.stdout.write(
      `\nThe images are in ${store} (one folder per host; .image-loader/ holds blobs, metadata and last-round.json).\n` +
        'To fetch real images: put one URL a line in a file and run\n' +
        '  node dist/cli/image-loader.cjs fetch my-list.txt --store ./images            (once)\n' +
        '  node dist/cli/image-loader.cjs fetch my-list.txt --store ./images --every 5m (every five minutes)\n',
    );
  } finally {
    await origin.close();
  }
}

function run(args: string[]): Promise<number | null> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('close', (code) => resolvePromise(code));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
