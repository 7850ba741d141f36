import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IMAGE_TYPES, type ImageType } from '../download/image-types.js';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { CacheInfo } from '../download/fetch-image.js';
import { StoreLayout } from './store-layout.js';
import { cleanStaleTempFiles, tempFileName } from './temp-files.js';
import { urlToPath } from './url-to-path.js';
import { parseUrlMetadata, type UrlMetadata } from './url-metadata.js';

export interface ImageStoreOptions {
  /** Temp files of other hosts or unknown owners are deleted at start when older than this. @defaultValue 1 hour */
  staleTempAfterMs?: number;
}

export interface CommitRequest {
  url: string;
  tempPath: string;
  sha256: string;
  bytes: number;
  type: ImageType;
  cache: CacheInfo;
  previous: UrlMetadata | undefined;
}

/**
 * The store on disk: content-addressed blobs, a human tree of hard links to
 * them, per-URL metadata. Every change becomes visible in one rename (or one
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
  static async open(root: string, options: ImageStoreOptions = {}): Promise<{ store: ImageStore; removedTempFiles: number }> {
    const store = new ImageStore(new StoreLayout(root));
    try {
      for (const dir of [store.layout.blobsDir, store.layout.metaDir, store.layout.tmpDir]) await store.ensureDir(dir);
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      throw new ImageLoaderError(ErrorCode.Store, `cannot open the store at ${store.layout.root}: ${code ?? message}`, { cause: error });
    }
    const removedTempFiles = await cleanStaleTempFiles(store.layout.tmpDir, { staleAfterMs: options.staleTempAfterMs ?? 3_600_000 });
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

  async readMetadata(url: string): Promise<UrlMetadata | undefined> {
    const text = await readFile(this.layout.metadataPath(url), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : parseUrlMetadata(text, url);
  }

  /** Whether the human-tree file of `metadata` is still there (someone may have deleted it by hand). */
  async hasImage(metadata: UrlMetadata): Promise<boolean> {
    const info = await stat(this.layout.humanPath(metadata.path)).catch(() => undefined);
    return info !== undefined && info.isFile() && info.size === metadata.bytes;
  }

  /**
   * Moves a verified download into place: the blob (kept if identical content
   * is already stored), then the human name (replaced in one rename), then
   * the metadata. Returns the new metadata and whether the content changed.
   */
  async commitImage(request: CommitRequest): Promise<{ metadata: UrlMetadata; changed: boolean }> {
    const { url, tempPath, sha256, type, previous } = request;
    const blob = this.layout.blobPath(sha256, IMAGE_TYPES[type].extension);
    await this.withDir(blob, () => linkNoReplace(tempPath, blob));
    await this.discardTemp(tempPath);

    const path = urlToPath(url, type);
    const human = this.layout.humanPath(path);
    const unchanged = previous !== undefined && previous.sha256 === sha256 && previous.path === path && (await this.hasImage(previous));
    if (!unchanged) {
      const staging = this.newTempPath();
      await link(blob, staging);
      try {
        await this.withDir(human, () => rename(staging, human));
      } finally {
        // rename(2) does nothing, successfully, when both names are links to
        // the same file (a run killed after linking but before writing the
        // metadata), leaving `staging` behind: remove it in every case.
        await this.discardTemp(staging);
      }
      if (previous !== undefined && previous.path !== path) await unlink(this.layout.humanPath(previous.path)).catch(() => {});
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
    await this.writeMetadata(metadata);
    return { metadata, changed: !unchanged };
  }

  /** The origin confirmed the stored copy (304): remember when, and its new validators. */
  async recordNotModified(previous: UrlMetadata, cache: CacheInfo): Promise<UrlMetadata> {
    const metadata: UrlMetadata = {
      ...previous,
      etag: cache.etag ?? previous.etag,
      lastModified: cache.lastModified ?? previous.lastModified,
      freshUntil: cache.freshUntil,
      checkedAt: new Date().toISOString(),
      lastError: undefined,
    };
    await this.writeMetadata(metadata);
    return metadata;
  }

  /** A failed round for a URL we have a copy of: the copy stays, the failure is remembered. */
  async recordFailure(previous: UrlMetadata, error: { code: string; message: string }): Promise<void> {
    await this.writeMetadata({ ...previous, lastError: { code: error.code, message: error.message, at: new Date().toISOString() } });
  }

  async writeMetadata(metadata: UrlMetadata): Promise<void> {
    await this.writeFileAtomic(this.layout.metadataPath(metadata.url), JSON.stringify(metadata));
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
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }
}

/** Creates `target` as a hard link to `source` unless it exists: blobs are immutable, and identical content needs no second copy. */
async function linkNoReplace(source: string, target: string): Promise<void> {
  await link(source, target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}
