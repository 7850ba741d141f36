import { link, lstat, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from './image-store.js';
import { tempFileName } from './temp-files.js';

/** Blob removals (three system calls each) in flight at once. */
export const BLOB_REMOVALS_AT_ONCE = 16;

/**
 * Takes a blob away in one rename, then looks again: a worker that linked it before the rename raised its link
 * count, and it is put back (if a worker re-created it meanwhile, that copy holds the same bytes). After the rename
 * no one can link it by name, so what is unlinked is provably unreferenced. `absolute` is the blob's path.
 */
export async function removeBlob(store: ImageStore, absolute: string): Promise<boolean> {
  const trash = join(store.layout.tmpDir, tempFileName());
  try {
    await rename(absolute, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const info = await lstat(trash);
  if (info.nlink > 1) {
    await link(trash, absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await unlink(trash);
    return false;
  }
  await unlink(trash);
  return true;
}
