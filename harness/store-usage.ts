import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under a store root (internal files included), counted once per inode: what the disk holds. */
export async function distinctInodeBytes(root: string): Promise<{ bytes: number; files: number }> {
  const inodes = new Map<number, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const info = await lstat(path).catch(() => undefined);
        if (info) inodes.set(info.ino, info.size);
      }
    }
  };
  await walk(root);
  let bytes = 0;
  for (const size of inodes.values()) bytes += size;
  return { bytes, files: inodes.size };
}

/** The blob files of a store. */
export async function blobFiles(root: string): Promise<string[]> {
  const blobs = join(root, '.image-loader', 'blobs');
  const found: string[] = [];
  for (const shard of await readdir(blobs).catch(() => [])) {
    for (const name of await readdir(join(blobs, shard)).catch(() => [])) found.push(join(blobs, shard, name));
  }
  return found.sort();
}
