import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eachLimited } from './each-limited.js';
import type { StoreLayout } from './store-layout.js';

/** One file of the store as pruning sees it. */
export interface StoreFile {
  /** Absolute path. */
  absolute: string;
  /** For human names: relative to the store root, `/`-separated. */
  path: string;
  ino: number;
  nlink: number;
  ctimeMs: number;
  bytes: number;
}

/**
 * Every human name (regular files under the root, `.image-loader/` excepted). Files and folders that vanish while
 * walking are skipped: workers write meanwhile.
 */
export async function walkHumanTree(layout: StoreLayout): Promise<StoreFile[]> {
  const files: StoreFile[] = [];
  const visit = async (dir: string, relative: string): Promise<void> => {
    const entries = await readDirOrNothing(dir);
    const named = (name: string): string => (relative === '' ? name : `${relative}/${name}`);
    for (const entry of entries) {
      if (!entry.isDirectory() || (relative === '' && entry.name === '.image-loader')) continue;
      await visit(join(dir, entry.name), named(entry.name));
    }
    const regular = entries.filter((entry) => entry.isFile());
    files.push(...(await statAll(regular.map((entry) => [join(dir, entry.name), named(entry.name)]))));
  };
  await visit(layout.root, '');
  return files;
}

/**
 * Whether the store holds no human name and no blob (not even an empty shard folder): a store this process just
 * made. Two readdirs; anything else there, or an error, says no.
 */
export async function storeHoldsNothing(layout: StoreLayout): Promise<boolean> {
  try {
    const top = await readdir(layout.root);
    return top.every((name) => name === '.image-loader') && (await readdir(layout.blobsDir)).length === 0;
  } catch {
    return false;
  }
}

/** Every blob (`.image-loader/blobs/xx/<sha256>.<ext>`). */
export async function walkBlobs(layout: StoreLayout): Promise<StoreFile[]> {
  const blobs: StoreFile[] = [];
  for (const shard of await readDirOrNothing(layout.blobsDir)) {
    if (!shard.isDirectory()) continue;
    const dir = join(layout.blobsDir, shard.name);
    const regular = (await readDirOrNothing(dir)).filter((entry) => entry.isFile());
    blobs.push(...(await statAll(regular.map((entry) => [join(dir, entry.name), `${shard.name}/${entry.name}`]))));
  }
  return blobs;
}

/** lstat calls in flight at once: enough to keep libuv's pool (and an NFS server) busy, few enough to leave it room. */
const STATS_AT_ONCE = 16;

/** Stats `[absolute, path]` pairs, STATS_AT_ONCE at a time, in their order; vanished files are left out. */
async function statAll(items: Array<[absolute: string, path: string]>): Promise<StoreFile[]> {
  const found: Array<StoreFile | undefined> = new Array(items.length);
  await eachLimited(Array.from(items.keys()), STATS_AT_ONCE, async (index) => {
    const [absolute, path] = items[index]!;
    found[index] = await statFile(absolute, path);
  });
  return found.filter((file): file is StoreFile => file !== undefined);
}

async function readDirOrNothing(dir: string): Promise<Dirent[]> {
  return await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
}

/** One file's lstat as a StoreFile; undefined when it is gone or not a regular file. */
export async function statFile(absolute: string, path: string): Promise<StoreFile | undefined> {
  const info = await lstat(absolute).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info?.isFile()) return undefined;
  return { absolute, path, ino: info.ino, nlink: info.nlink, ctimeMs: info.ctimeMs, bytes: info.size };
}
