import { readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RoundSummary } from '../core/round/round-summary.js';
import { runCli } from './cli-process.js';

/** Every file of the human tree (the store minus `.image-loader/`), as relative paths. */
export async function humanFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (dir === root && entry.name === '.image-loader') continue;
        await walk(path);
      } else {
        found.push(relative(root, path));
      }
    }
  };
  await walk(root);
  return found.sort();
}

/** Files in the store's temp folder. */
export async function tempFiles(root: string): Promise<string[]> {
  return readdir(join(root, '.image-loader', 'tmp')).catch(() => []);
}

/** A complete store made the real way: `image-loader fetch` of `urls` into `store` (the list is written beside it). */
export async function fetchStore(urls: string[], store: string): Promise<RoundSummary> {
  const list = `${store}.list.txt`;
  await writeFile(list, `${urls.join('\n')}\n`);
  const fetched = await runCli(['fetch', list, '--store', store, '--allow-private', '--json']);
  if (fetched.code !== 0) throw new Error(`fetch into ${store} exited ${fetched.code}: ${fetched.stderr}`);
  return JSON.parse(fetched.stdout) as RoundSummary;
}
