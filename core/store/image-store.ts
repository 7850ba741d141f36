import { link, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import { IMAGE_TYPES, type ImageType } from '../image/image-types.js';
import { makeDirectory } from './make-directory.js';
import { StoreLayout } from './store-layout.js';
import { cleanStaleTempFiles, tempFileName } from './temp-files.js';
import type { CacheInfo, UrlMetadata } from './url-metadata.js';
import { urlToPath } from './url-to-path.js';

export interface ImageStoreOptions {
  /** Temp files of other hosts or unknown owners are deleted at start when older than this. @defaultValue 1 hour */
  staleTempAfterMs?: number;
  /** Leave temp files alone (a process that writes no images, such as the coordinator). */
  keepTempFiles?: boolean;
}

export interface CommitRequest {
  url: string;
  tempPath: string;
  sha256: string;
  bytes: number;
  type: ImageType;
  cache: CacheInfo;
  /** The URL's metadata from before this download, if any. */
  previous: UrlMetadata | undefined;
  /** Whether `previous`'s file is still in the human tree. */
  previousPresent: boolean;
}

/**
 * The store on disk: content-addressed blobs and a human tree of hard links
 * to them (per-URL metadata is the MetadataIndex's). Every change becomes visible in one rename (or one
 * no-replace link), so readers, including web nodes over NFS, see either the
 * old or the new file, never a partial one. Hard links rather than symlinks:
 * they survive any mount point, a web server cannot be led outside its root
 * by them, and a blob whose link count drops to 1 is provably unreferenced.
 */
export class ImageStore {
  readonly layout: StoreLayout;
  private readonly madeDirs = new Set<string>();

  private constructor(layout: StoreLayout) {
    this.layout = layout;
  }

  /** Creates the internal folders if needed and removes temp files left by killed runs. */
  static async open(
    root: string,
    options: ImageStoreOptions = {},
  ): Promise<{ store: ImageStore; removedTempFiles: number }> {
    const store = new ImageStore(new StoreLayout(root));
    try {
      for (const dir of [store.layout.blobsDir, store.layout.tmpDir]) await store.ensureDir(dir);
    } catch (error) {
      // Node's message names the errno, what it means and the path (EACCES: permission denied, mkdir '...').
      throw new ImageLoaderError(
        ErrorCode.Store,
        `cannot open the store at ${store.layout.root}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const removedTempFiles = options.keepTempFiles
      ? 0
      : await cleanStaleTempFiles(store.layout.tmpDir, { staleAfterMs: options.staleTempAfterMs ?? 3_600_000 });
    return { store, removedTempFiles };
  }

  /** A fresh temp path on the store's filesystem, invisible to the human tree. */
  newTempPath(): string {
    return join(this.layout.tmpDir, tempFileName());
  }

  async discardTemp(path: string): Promise<void> {
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Whether the human-tree file of `metadata` is still there (someone may have deleted it by hand). */
  async hasImage(metadata: UrlMetadata): Promise<boolean> {
    const info = await stat(this.layout.humanPath(metadata.path)).catch(() => undefined);
    return info?.isFile() === true && info.size === metadata.bytes;
  }

  /**
   * Moves a verified download into place and consumes `tempPath`: the temp
   * file becomes the blob (a second name, no copy) and is then renamed onto
   * the human name, replacing an older version in one step. When identical
   * content is already stored, the existing blob is linked instead, so it is
   * stored once. Returns the URL's new metadata (for the caller's index) and
   * whether the stored content changed.
   */
  async commitImage(request: CommitRequest): Promise<{ metadata: UrlMetadata; changed: boolean }> {
    const { url, tempPath, sha256, type, previous } = request;
    const path = urlToPath(url, type);
    const unchanged =
      previous !== undefined && request.previousPresent && previous.sha256 === sha256 && previous.path === path;
    if (unchanged) {
      await this.discardTemp(tempPath);
    } else {
      const blob = this.layout.blobPath(sha256, IMAGE_TYPES[type].extension);
      const human = this.layout.humanPath(path);
      const { named, isNewBlob } = await this.nameBlob(tempPath, blob);
      try {
        await this.withDir(human, () => rename(named, human));
      } finally {
        // rename(2) does nothing, successfully, when both names are links to the same file (a run killed
        // after linking but before its metadata index was saved): the temp name would stay. Only possible for an
        // existing blob.
        if (!isNewBlob) await this.discardTemp(named);
      }
      if (previous !== undefined && previous.path !== path)
        await unlink(this.layout.humanPath(previous.path)).catch(() => {});
    }

    const now = new Date().toISOString();
    const metadata: UrlMetadata = {
      version: 1,
      url,
      path,
      sha256,
      bytes: request.bytes,
      type,
      contentType: IMAGE_TYPES[type].contentType,
      etag: request.cache.etag,
      lastModified: request.cache.lastModified,
      freshUntil: request.cache.freshUntil,
      checkedAt: now,
      changedAt: unchanged ? previous.changedAt : now,
    };
    return { metadata, changed: !unchanged };
  }

  /**
   * Makes `blob` hold the downloaded bytes and returns a temp name of it to rename onto the human name: the
   * temp file itself for a new blob, or a fresh link to the blob already stored. The download is given up only
   * once the stored blob is linked: pruning may take an unreferenced blob away at any moment, and then the
   * download becomes the blob again (pruning never loses bytes a worker is committing).
   */
  private async nameBlob(tempPath: string, blob: string): Promise<{ named: string; isNewBlob: boolean }> {
    for (;;) {
      const isNewBlob = await this.withDir(blob, () => link(tempPath, blob)).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return false;
          throw error;
        },
      );
      if (isNewBlob) return { named: tempPath, isNewBlob };
      // Same bytes already stored: name that blob instead of keeping a second copy.
      const named = this.newTempPath();
      const linked = await link(blob, named).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
      if (linked) {
        await unlink(tempPath);
        return { named, isNewBlob };
      }
    }
  }

  /** Writes a file so that readers see the old or the new content, never a mix: temp file, close, rename. */
  async writeFileAtomic(path: string, content: string): Promise<void> {
    const temp = this.newTempPath();
    try {
      await writeFile(temp, content, { flag: 'wx' });
      await this.withDir(path, () => rename(temp, path));
    } catch (error) {
      await this.discardTemp(temp).catch(() => {});
      throw error;
    }
  }

  /** Runs `operation` (which creates `file`), creating its folder first if this process has not, and again if someone removed it meanwhile. */
  private async withDir<T>(file: string, operation: () => Promise<T>): Promise<T> {
    const dir = dirname(file);
    if (!this.madeDirs.has(dir)) await this.ensureDir(dir);
    try {
      return await operation();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.madeDirs.delete(dir);
      await this.ensureDir(dir);
      return await operation();
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    await makeDirectory(dir);
    this.madeDirs.add(dir);
  }
}
