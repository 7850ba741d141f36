import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

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
