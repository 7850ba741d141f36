import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always ends: Node 20's `mkdir(path, { recursive: true })`
 * loops forever at 100% CPU when a parent exists but refuses the child with
 * ENOENT (procfs, sysfs, some FUSE and network file systems). Here each
 * level is tried at most twice (once, and once more after its parent was
 * made), so the work is bounded by the path's depth. Rejects with the
 * errno error of the component that failed (its message names the errno
 * and the path): ENOENT for a parent that refuses children or a dangling
 * symlink, ENOTDIR for a file on the way, EACCES, EROFS...
 */
export async function makeDirectory(path: string): Promise<void> {
  const target = resolve(path);
  try {
    await mkdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return await assertDirectory(target);
    const parent = dirname(target);
    if (code !== 'ENOENT' || parent === target) throw error;
    await makeDirectory(parent);
    try {
      await mkdir(target);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === 'EEXIST') return await assertDirectory(target);
      throw again;
    }
  }
}

/** An existing entry is fine only if it is (or links to) a directory: stat follows symlinks, so a dangling one is ENOENT. */
async function assertDirectory(path: string): Promise<void> {
  if ((await stat(path)).isDirectory()) return;
  throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), {
    code: 'ENOTDIR',
    errno: -20,
    syscall: 'mkdir',
    path,
  });
}
