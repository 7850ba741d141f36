import { join, resolve, sep } from 'node:path';

/**
 * Where everything lives inside a store root. The human tree (one folder per
 * host) sits at the root; everything else is under `.image-loader/`, which no
 * human name can reach (names never start with a dot):
 *
 *     .image-loader/blobs/ab/abcd…(64 hex).png      content-addressed, immutable
 *     .image-loader/metadata.jsonl                  per-URL metadata, one JSON object a line
 *     .image-loader/tmp/                            temp files, same filesystem
 *     .image-loader/last-round.json                 the last completed round's summary
 *     .image-loader/heartbeat.json                  fleet mode: when the coordinator last vouched for the store
 *     .image-loader/delisted.json                   human names absent from the list, since when (pruning)
 *     .image-loader/prune-record.json               the last full prune walk, replaced blobs still in their grace
 */
export class StoreLayout {
  readonly root: string;
  readonly internalDir: string;
  readonly blobsDir: string;
  readonly metadataFile: string;
  readonly tmpDir: string;
  readonly lastRoundFile: string;
  readonly heartbeatFile: string;
  readonly delistedFile: string;
  readonly pruneRecordFile: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.internalDir = join(this.root, '.image-loader');
    this.blobsDir = join(this.internalDir, 'blobs');
    this.metadataFile = join(this.internalDir, 'metadata.jsonl');
    this.tmpDir = join(this.internalDir, 'tmp');
    this.lastRoundFile = join(this.internalDir, 'last-round.json');
    this.heartbeatFile = join(this.internalDir, 'heartbeat.json');
    this.delistedFile = join(this.internalDir, 'delisted.json');
    this.pruneRecordFile = join(this.internalDir, 'prune-record.json');
  }

  /**
   * 256 folders (two hex digits): a million blobs make ~4,000 a folder (ext4 and NFS handle far more), and a
   * first run creates at most 256 folders; deeper sharding cost one mkdir per image in a first run.
   */
  blobPath(sha256: string, extension: string): string {
    return join(this.blobsDir, blobName(sha256, extension));
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

/** A blob's name relative to the blob folder (`ab/abcd….png`), as pruning reports and records it. */
export function blobName(sha256: string, extension: string): string {
  return `${sha256.slice(0, 2)}/${sha256}.${extension}`;
}

/** Whether `name` is a blob's name as blobName makes it: what pruning accepts from a record or an index. */
export function isBlobName(name: string): boolean {
  return /^[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z0-9]{1,8}$/.test(name) && name.slice(0, 2) === name.slice(3, 5);
}
