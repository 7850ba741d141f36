import type { OutgoingHttpHeaders } from 'node:http';

/**
 * One image of the human tree held in memory: its bytes and everything its
 * answers need, all read from one open descriptor (so they describe one
 * version), plus the identity its name is compared with to revalidate it.
 */
export interface CachedImage {
  /** The identity of the version: a new version is a new inode renamed onto the name. */
  ino: number;
  size: number;
  mtimeMs: number;
  body: Buffer;
  etag: string;
  /** The headers of a 200 (Content-Length aside): type, validators, caching, an SVG's sandbox. */
  headers: OutgoingHttpHeaders;
  /** When the name was last seen to lead to this version (performance.now()). */
  checkedAtMs: number;
  /** Every header of a whole 200, built at its first such answer (cached-image-response.ts). */
  wholeHeaders?: readonly (readonly [string, string | number | readonly string[]])[];
}

/** Bytes counted for an entry beyond its body (key, headers, bookkeeping), so many tiny files cannot exceed the cap. */
export const ENTRY_OVERHEAD_BYTES = 1024;

/** The largest share of the cache one image may take: a few big images cannot evict every small one. */
const MAX_ENTRY_SHARE = 16;

/** Never more than this per image, whatever the cap: the cache is for small hot images, big ones stream. */
export const MAX_CACHED_IMAGE_BYTES = 1024 ** 2;

/**
 * A bounded least-recently-used map of request path (decoded segments,
 * joined by `/`) to cached image. The bytes held (bodies plus
 * ENTRY_OVERHEAD_BYTES each) never exceed `maxBytes`; a cap of 0 holds
 * nothing. Like nginx's open_file_cache, it does not decide freshness: the
 * caller revalidates an entry against its name (image-cache-lookup.ts).
 */
export class ImageCache {
  private readonly entries = new Map<string, CachedImage>();
  private heldBytes = 0;
  /** Largest body this cache accepts. */
  readonly maxEntryBytes: number;

  constructor(readonly maxBytes: number) {
    this.maxEntryBytes = Math.min(MAX_CACHED_IMAGE_BYTES, Math.floor(maxBytes / MAX_ENTRY_SHARE));
  }

  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether an image of `size` bytes may be kept. */
  accepts(size: number): boolean {
    return size <= this.maxEntryBytes && size + ENTRY_OVERHEAD_BYTES <= this.maxBytes;
  }

  /** The entry for `key`, marked as most recently used. */
  get(key: string): CachedImage | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedImage): void {
    this.delete(key);
    const cost = entryCost(key, entry);
    if (!this.accepts(entry.body.length) || cost > this.maxBytes) return;
    for (const [oldest, old] of this.entries) {
      if (this.heldBytes + cost <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.heldBytes -= entryCost(oldest, old);
    }
    this.entries.set(key, entry);
    this.heldBytes += cost;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.heldBytes -= entryCost(key, entry);
  }

  clear(): void {
    this.entries.clear();
    this.heldBytes = 0;
  }
}

/** Bytes an entry counts for: its body, its key (a long path on a tiny image), and ENTRY_OVERHEAD_BYTES. */
export function entryCost(key: string, entry: CachedImage): number {
  return entry.body.length + key.length * 2 + ENTRY_OVERHEAD_BYTES;
}
