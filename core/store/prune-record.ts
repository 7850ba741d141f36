import { readFile } from 'node:fs/promises';
import type { ImageStore } from './image-store.js';
import { isBlobName } from './store-layout.js';

/**
 * What pruning remembers between rounds, kept in `.image-loader/prune-record.json`: when it last walked the whole
 * store, and the replaced blobs it kept for their grace. A round whose own bookkeeping names the blobs it replaced
 * (fetch's metadata index) checks only those and the pending ones instead of walking the store
 * (judgePruneScope). Bounded by the store: a pending blob leaves the record when it is removed, gone, or linked
 * again. A missing or damaged record is none at all, which makes the next round walk the whole store.
 */
export interface PruneRecord {
  /** When the last full walk that was not held back started (ms since epoch). */
  fullWalkAtMs: number;
  /** Unreferenced blobs kept for --keep-replaced, relative to the blob folder (`ab/abcd….png`). */
  pendingBlobs: string[];
}

interface PruneRecordFile extends PruneRecord {
  schema: 'image-loader/prune-record@1';
}

export async function loadPruneRecord(store: ImageStore): Promise<PruneRecord | undefined> {
  const text = await readFile(store.layout.pruneRecordFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<PruneRecordFile>;
    if (record.schema !== 'image-loader/prune-record@1') return undefined;
    if (typeof record.fullWalkAtMs !== 'number' || !Number.isFinite(record.fullWalkAtMs)) return undefined;
    const pending = Array.isArray(record.pendingBlobs) ? record.pendingBlobs : [];
    return {
      fullWalkAtMs: record.fullWalkAtMs,
      // A name the store would not make (a damaged record, or one written by hand) is not looked at.
      pendingBlobs: pending.filter((name): name is string => typeof name === 'string' && isBlobName(name)),
    };
  } catch {
    return undefined;
  }
}

export async function savePruneRecord(store: ImageStore, record: PruneRecord): Promise<void> {
  const file: PruneRecordFile = { schema: 'image-loader/prune-record@1', ...record };
  await store.writeFileAtomic(store.layout.pruneRecordFile, JSON.stringify(file));
}
