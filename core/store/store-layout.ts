import { createHash } from 'node:crypto';
import { join, resolve, sep } from 'node:path';

/**
 * Where everything lives inside a store root. The human tree (one folder per
 * host) sits at the root; everything else is under `.image-loader/`, which no
 * human name can reach (names never start with a dot):
 *
 *     .image-loader/blobs/ab/cd/abcd…(64 hex).png   content-addressed, immutable
 *     .image-loader/meta/ab/<sha256 of URL>.json    per-URL metadata
 *     .image-loader/tmp/                            temp files, same filesystem
 *     .image-loader/last-round.json                 the last completed round's summary
 */
export class StoreLayout {
  readonly root: string;
  readonly internalDir: string;
  readonly blobsDir: string;
  readonly metaDir: string;
  readonly tmpDir: string;
  readonly lastRoundFile: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.internalDir = join(this.root, '.image-loader');
    this.blobsDir = join(this.internalDir, 'blobs');
    this.metaDir = join(this.internalDir, 'meta');
    this.tmpDir = join(this.internalDir, 'tmp');
    this.lastRoundFile = join(this.internalDir, 'last-round.json');
  }

  /** Two levels of 256 folders: a million blobs make ~15 a folder. */
  blobPath(sha256: string, extension: string): string {
    return join(this.blobsDir, sha256.slice(0, 2), sha256.slice(2, 4), `${sha256}.${extension}`);
  }

  metadataPath(url: string): string {
    const key = createHash('sha256').update(url).digest('hex');
    return join(this.metaDir, key.slice(0, 2), `${key}.json`);
  }

  /** The absolute path of a human-tree name; throws if it would leave the store (it cannot, by urlToPath's rules: this is the last line of defence). */
  humanPath(relative: string): string {
    const absolute = resolve(this.root, relative);
    if (!absolute.startsWith(this.root + sep) || absolute.startsWith(this.internalDir + sep)) {
      throw new Error(`refusing a store path outside the human tree: ${relative}`);
    }
    return absolute;
  }
}
