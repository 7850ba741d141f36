import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { IMAGE_TYPES } from '../image/image-types.js';
import type { ImageStore } from './image-store.js';
import type { KnownName } from './prune-replaced.js';
import { blobName, isBlobName } from './store-layout.js';
import { failedMetadata, parseUrlMetadata, type UrlMetadata } from './url-metadata.js';
import type { UrlMetadataSource } from './url-metadata-source.js';

/**
 * Every URL's metadata, held in memory during a round and kept in the store
 * as one file, `.image-loader/metadata.jsonl` (one JSON object a line),
 * written whole and atomically (temp + rename).
 *
 * One file rather than one per URL: a per-URL file cost three to four system
 * calls per image per round (on NFS, as many round trips), more than the
 * image itself. Whoever runs a round loads the index, hands each download its
 * URL's previous metadata and records the new one; the download core never
 * reads or writes metadata itself. If a run dies before saving, the next one
 * merely asks unconditionally for the URLs it lost track of and finds the
 * same bytes (reported `unchanged`). Two processes saving the same store's
 * index at once: the last one wins, with the same harmless effect.
 */
export class MetadataIndex implements UrlMetadataSource {
  private readonly entries = new Map<string, UrlMetadata>();
  /** Blobs whose URL moved to other bytes since the last takeReplacedBlobs (pruning's candidates). */
  private readonly replaced = new Set<string>();
  /** Where newly replaced blobs go instead of `replaced`, while set (routeReplaced). */
  private replacedReceiver: ((blob: string) => void) | undefined;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly store: ImageStore) {}

  /** Reads the index; a missing file is an empty index, a damaged line is skipped (its URL is fetched afresh). */
  static async load(store: ImageStore): Promise<{ index: MetadataIndex; skippedLines: number }> {
    const index = new MetadataIndex(store);
    let skippedLines = 0;
    try {
      const lines = createInterface({ input: createReadStream(store.layout.metadataFile), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line === '') continue;
        const metadata = parseUrlMetadata(line);
        if (metadata) index.entries.set(metadata.url, metadata);
        else skippedLines++;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { index, skippedLines };
  }

  get size(): number {
    return this.entries.size;
  }

  get(url: string): UrlMetadata | undefined {
    return this.entries.get(url);
  }

  set(metadata: UrlMetadata): void {
    // A copy skipped as still fresh comes back as the very same object: nothing to write.
    const previous = this.entries.get(metadata.url);
    if (previous === metadata) return;
    const replaced = previous !== undefined && previous.sha256 !== metadata.sha256 ? blobOf(previous) : undefined;
    if (replaced !== undefined) {
      if (this.replacedReceiver) this.replacedReceiver(replaced);
      else this.replaced.add(replaced);
    }
    this.entries.set(metadata.url, metadata);
    this.dirty = true;
  }

  /** After the last attempt failed: the stored copy (if any) stays, and remembers the failure. */
  recordFailure(url: string, error: { code: string; message: string }): void {
    const previous = this.entries.get(url);
    if (previous) this.set(failedMetadata(previous, error, new Date()));
  }

  /**
   * The blobs that URLs moved away from since the last call (each URL's previous bytes), and forgets them: what
   * pruning after a round checks instead of walking the store. Bounded by the URLs changed in one round.
   */
  takeReplacedBlobs(): string[] {
    const blobs = [...this.replaced];
    this.replaced.clear();
    return blobs;
  }

  /**
   * Hands every blob replaced from now on to `receiver` instead of keeping it for takeReplacedBlobs (a round that
   * removes them as it goes: ReplacedBlobRemover), and returns those kept so far; keepReplaced ends it.
   */
  routeReplaced(receiver: (blob: string) => void): string[] {
    this.replacedReceiver = receiver;
    return this.takeReplacedBlobs();
  }

  /** Keeps newly replaced blobs for takeReplacedBlobs again (the default). */
  keepReplaced(): void {
    this.replacedReceiver = undefined;
  }

  /** Every URL's human name, its blob and its size, as this index knows them. */
  knownNames(): KnownName[] {
    const names: KnownName[] = [];
    for (const entry of this.entries.values()) {
      const blob = blobOf(entry);
      if (blob !== undefined) names.push({ path: entry.path, blob, bytes: entry.bytes });
    }
    return names;
  }

  /** Forgets the URLs whose human names pruning removed; returns how many. */
  forgetPaths(paths: Iterable<string>): number {
    const removed = new Set(paths);
    let forgotten = 0;
    if (removed.size === 0) return 0;
    for (const [url, metadata] of this.entries) if (removed.has(metadata.path) && this.entries.delete(url)) forgotten++;
    if (forgotten > 0) this.dirty = true;
    return forgotten;
  }

  /** Writes the index if it changed since the last save. Saves never overlap. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.store.writeFileAtomic(this.store.layout.metadataFile, serialize(this.entries.values()));
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    });
    return this.saving;
  }
}

/** The blob a URL's metadata names; undefined for a damaged entry (unknown type, not a SHA-256). */
function blobOf(metadata: UrlMetadata): string | undefined {
  const type = Object.hasOwn(IMAGE_TYPES, metadata.type) ? IMAGE_TYPES[metadata.type] : undefined;
  if (type === undefined) return undefined;
  const blob = blobName(metadata.sha256, type.extension);
  return isBlobName(blob) ? blob : undefined;
}

function serialize(entries: Iterable<UrlMetadata>): string {
  let text = '';
  for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
  return text;
}
