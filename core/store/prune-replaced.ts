import { join } from 'node:path';
import { eachLimited } from './each-limited.js';
import type { ImageStore } from './image-store.js';
import { blobMayGo } from './prune-policy.js';
import { type PruneRecord, savePruneRecord } from './prune-record.js';
import type { PruneReport, StoreUsage } from './prune-store.js';
import { BLOB_REMOVALS_AT_ONCE, removeBlob } from './remove-blob.js';
import { isBlobName } from './store-layout.js';
import { statFile } from './walk-store.js';

/** A human name as the round's own bookkeeping knows it (fetch's metadata index). */
export interface KnownName {
  path: string;
  /** Its blob, relative to the blob folder (`ab/abcd….png`). */
  blob: string;
  bytes: number;
}

/** What a round knows of the store without walking it. */
export interface RoundKnowledge {
  /** Blobs whose name this round moved to another version (relative to the blob folder). */
  replacedBlobs: Iterable<string>;
  /** Every name the round's bookkeeping holds, listed or not. */
  names: readonly KnownName[];
  /** The store held no name and no blob when the round started (storeHoldsNothing): it needs no walk yet. */
  emptyAtStart: boolean;
}

/**
 * A round's pruning without a walk (judgePruneScope said so): only the blobs this round replaced and those the
 * record keeps for their grace are looked at, each by one lstat, and removed by the same rule and the same rename
 * as in the full walk (blobMayGo, removeBlob), so a blob a worker links meanwhile stays. Removes no human name:
 * delisted names go in a full walk. The usage reported is the bookkeeping's names (distinct blobs' bytes) and the
 * pending blobs; the full walk counts the files themselves.
 */
export async function pruneReplaced(
  store: ImageStore,
  options: { keepReplacedMs: number; signal?: AbortSignal | undefined },
  knowledge: RoundKnowledge,
  record: PruneRecord,
): Promise<PruneReport> {
  const startedAt = Date.now();
  const linked = new Map<string, number>();
  for (const name of knowledge.names) linked.set(name.blob, name.bytes);
  const candidates = new Set([...record.pendingBlobs, ...knowledge.replacedBlobs]);
  for (const blob of linked.keys()) candidates.delete(blob);
  for (const blob of candidates) if (!isBlobName(blob)) candidates.delete(blob);

  const report = { removedFiles: 0, removedBytes: 0, removed: [] as string[] };
  const usage: StoreUsage = { liveFiles: knowledge.names.length, liveBytes: 0, graceFiles: 0, graceBytes: 0 };
  for (const bytes of linked.values()) usage.liveBytes += bytes;
  const pendingBlobs: string[] = [];
  await eachLimited([...candidates], BLOB_REMOVALS_AT_ONCE, async (blob) => {
    const settled = await settleReplacedBlob(store, blob, options);
    if (settled.outcome === 'removed') {
      report.removedFiles++;
      report.removedBytes += settled.bytes;
      report.removed.push(`.image-loader/blobs/${blob}`);
    } else if (settled.outcome === 'kept') {
      pendingBlobs.push(blob);
      usage.graceFiles++;
      usage.graceBytes += settled.bytes;
    }
  });
  await savePruneRecord(store, { fullWalkAtMs: record.fullWalkAtMs, pendingBlobs });
  return {
    dryRun: false,
    scope: 'replaced',
    ...report,
    delistedPaths: [],
    store: usage,
    durationMs: Date.now() - startedAt,
  };
}

/** What became of a replaced blob: removed, kept for its grace, or not pruning's (gone, or linked by a name again). */
export type SettledBlob = { outcome: 'removed' | 'kept'; bytes: number } | { outcome: 'not-ours' };

/**
 * One replaced blob (relative to the blob folder), by the full walk's rule (blobMayGo) and rename (removeBlob): one
 * lstat, then removed if no name links it and its grace is over. A blob gone, or linked by a name again, is not
 * pruning's: whoever replaces that name hands it over again, and the full walk finds the rest.
 */
export async function settleReplacedBlob(
  store: ImageStore,
  blob: string,
  options: { keepReplacedMs: number; signal?: AbortSignal | undefined },
): Promise<SettledBlob> {
  const absolute = join(store.layout.blobsDir, blob);
  const info = await statFile(absolute, blob);
  if (info === undefined || info.nlink !== 1) return { outcome: 'not-ours' };
  const goes = options.signal?.aborted !== true && blobMayGo(info, Date.now(), options.keepReplacedMs);
  if (goes && (await removeBlob(store, absolute))) return { outcome: 'removed', bytes: info.bytes };
  return { outcome: 'kept', bytes: info.bytes };
}
