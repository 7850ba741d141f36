import { readFile } from 'node:fs/promises';
import type { ImageStore } from './image-store.js';

/**
 * Since when each human name has been absent from the list (ms since epoch, the start of the first complete
 * round that lacked it), kept in `.image-loader/delisted.json`. A small file instead of a database: it holds
 * only names the list dropped, which pruning removes after --keep-delisted, so it is bounded by the store.
 * `prune` run by hand reads it: it has no list of its own. A missing or damaged file is empty, which errs on
 * keeping (absences count again from the next round).
 */
export interface DelistedRecord {
  schema: 'image-loader/delisted@1';
  absentSince: Record<string, number>;
}

export async function loadDelistedRecord(store: ImageStore): Promise<Map<string, number>> {
  const text = await readFile(store.layout.delistedFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const absent = new Map<string, number>();
  if (text === undefined) return absent;
  try {
    const record = JSON.parse(text) as Partial<DelistedRecord>;
    if (record.schema !== 'image-loader/delisted@1' || typeof record.absentSince !== 'object') return absent;
    for (const [path, since] of Object.entries(record.absentSince ?? {}))
      if (typeof since === 'number' && Number.isFinite(since)) absent.set(path, since);
  } catch {
    // Damaged: absences count again from the next round.
  }
  return absent;
}

export async function saveDelistedRecord(store: ImageStore, absent: ReadonlyMap<string, number>): Promise<void> {
  const record: DelistedRecord = { schema: 'image-loader/delisted@1', absentSince: Object.fromEntries(absent) };
  await store.writeFileAtomic(store.layout.delistedFile, JSON.stringify(record));
}
