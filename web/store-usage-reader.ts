import { open, stat } from 'node:fs/promises';
import { settlesWithin } from '../core/service/close-all.js';
import type { StoreLayout } from '../core/store/store-layout.js';

/** The store's size as the last round recorded it (the summary's `store`). */
export interface RecordedStoreUsage {
  liveFiles: number;
  liveBytes: number;
  graceFiles: number;
  graceBytes: number;
}

/** The summary's head: `store` is written before the entries (withPruneFields), so a large round is never read whole. */
const HEAD_BYTES = 64 * 1024;
/** A hung NFS mount must not hang /metrics: past this, the last value read is served. */
const READ_TIMEOUT_MS = 1000;

/**
 * Reads the store's size from `last-round.json` (never by walking the store: a web node only reads what the
 * rounds wrote), again only when the file changed (its mtime and size).
 */
export class StoreUsageReader {
  private last: RecordedStoreUsage | undefined;
  private seen = '';

  constructor(private readonly layout: StoreLayout) {}

  private reading: Promise<RecordedStoreUsage | undefined> | undefined;

  /** Reads made while one is in flight (the store gauges of one scrape) share its look at the file. */
  read(): Promise<RecordedStoreUsage | undefined> {
    this.reading ??= settlesWithin(this.refresh(), READ_TIMEOUT_MS).then(() => {
      this.reading = undefined;
      return this.last;
    });
    return this.reading;
  }

  private async refresh(): Promise<void> {
    const info = await stat(this.layout.lastRoundFile);
    const version = `${info.mtimeMs}:${info.size}`;
    if (version === this.seen) return;
    const file = await open(this.layout.lastRoundFile, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      this.last = parseStoreUsage(buffer.subarray(0, bytesRead).toString('utf8'));
      this.seen = version;
    } finally {
      await file.close();
    }
  }
}

/** The `"store":{...}` object of a summary's head, checked field by field. */
export function parseStoreUsage(head: string): RecordedStoreUsage | undefined {
  const match = /"store":(\{[^{}]*\})/.exec(head);
  if (!match) return undefined;
  try {
    const value = JSON.parse(match[1]!) as Record<string, unknown>;
    const fields = ['liveFiles', 'liveBytes', 'graceFiles', 'graceBytes'] as const;
    if (!fields.every((field) => typeof value[field] === 'number' && Number.isFinite(value[field]))) return undefined;
    return value as unknown as RecordedStoreUsage;
  } catch {
    return undefined;
  }
}
