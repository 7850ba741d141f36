import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
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
 * Every human name (regular files under the root, `.image-loader/` excepted), with the folders seen, children
 * before parents. Files and folders that vanish while walking are skipped: workers write meanwhile.
 */
export async function walkHumanTree(layout: StoreLayout): Promise<{ files: StoreFile[]; dirs: string[] }> {
  const files: StoreFile[] = [];
  const dirs: string[] = [];
  const visit = async (dir: string, relative: string): Promise<void> => {
    for (const entry of await readDirOrNothing(dir)) {
      if (relative === '' && entry.name === '.image-loader') continue;
      const absolute = join(dir, entry.name);
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        await visit(absolute, path);
        dirs.push(path);
      } else if (entry.isFile()) {
        const file = await statFile(absolute, path);
        if (file) files.push(file);
      }
    }
  };
  await visit(layout.root, '');
  return { files, dirs };
}

/** Every blob (`.image-loader/blobs/xx/<sha256>.<ext>`). */
export async function walkBlobs(layout: StoreLayout): Promise<StoreFile[]> {
  const blobs: StoreFile[] = [];
  for (const shard of await readDirOrNothing(layout.blobsDir)) {
    if (!shard.isDirectory()) continue;
    const dir = join(layout.blobsDir, shard.name);
    for (const entry of await readDirOrNothing(dir)) {
      if (!entry.isFile()) continue;
      const blob = await statFile(join(dir, entry.name), `${shard.name}/${entry.name}`);
      if (blob) blobs.push(blob);
    }
  }
  return blobs;
}

async function readDirOrNothing(dir: string): Promise<Dirent[]> {
  return await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
}

async function statFile(absolute: string, path: string): Promise<StoreFile | undefined> {
  const info = await lstat(absolute).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info?.isFile()) return undefined;
  return { absolute, path, ino: info.ino, nlink: info.nlink, ctimeMs: info.ctimeMs, bytes: info.size };
}
