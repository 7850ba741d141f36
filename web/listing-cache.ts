import type { Stats } from 'node:fs';

/** One state of a folder, from the stat the web node makes of it on every request anyway. */
export interface FolderVersion {
  dev: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** When and from which folder version a listing was rendered. */
export interface RenderStamp {
  /** From the cache's counter when the render started: orders renders against requests exactly, with no clock ties. */
  tick: number;
  /** Monotonic milliseconds when the render started, for its age. */
  startedAtMs: number;
  /** Wall-clock milliseconds when the render started, to compare with the folder's timestamps. */
  wallStartedAtMs: number;
  /** The folder as the request that started the render saw it before the render looked: the render shows this state or a later one. */
  version: FolderVersion;
}

/** A request for a listing: when it arrived (the cache's counter, taken before the folder was looked at) and the folder version it saw. */
export interface ListingRequest {
  tick: number;
  version: FolderVersion;
}

export interface ListingCacheLimits {
  /** Listings kept, at most. @defaultValue 128 */
  maxEntries: number;
  /** Bytes of listings kept, at most, all together. @defaultValue 16 MiB */
  maxBytes: number;
  /** A listing larger than this is not kept (it is still shared by the requests waiting for it). @defaultValue 4 MiB */
  maxEntryBytes: number;
  /** A listing is not reused once this old, whatever its folder says. @defaultValue 2,000 ms */
  maxAgeMs: number;
  /** A listing rendered less than this after its folder's last change is reused only by requests that arrived before it started. @defaultValue 1,000 ms */
  racyMs: number;
}

export const DEFAULT_LISTING_CACHE_LIMITS: ListingCacheLimits = {
  maxEntries: 128,
  maxBytes: 16 * 1024 * 1024,
  maxEntryBytes: 4 * 1024 * 1024,
  maxAgeMs: 2_000,
  racyMs: 1_000,
};

export function folderVersion(info: Pick<Stats, 'dev' | 'ino' | 'mtimeMs' | 'ctimeMs'>): FolderVersion {
  return { dev: info.dev, ino: info.ino, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
}

export function sameFolderVersion(a: FolderVersion, b: FolderVersion): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * Whether a listing rendered as `stamp` says may answer `request`: a
 * render that started after the request arrived shows everything done
 * before it; an earlier one only if the folder is still the version it
 * rendered, that version was not racy, and it is younger than `maxAgeMs`.
 *
 * Why the folder's version is enough: the store adds, replaces and removes
 * a file only by rename(2) and unlink(2) in that folder, each of which
 * changes the folder's mtime and ctime; it never writes a stored file in
 * place (a new version is a new inode renamed onto the name), so the sizes
 * and dates the details view shows change only with the folder's mtime. A
 * subfolder's date (its own mtime) and anything changed in place by hand
 * are not seen by the folder's version: `maxAgeMs` bounds how long they lag.
 *
 * Why "racy": a folder's timestamps come from a clock that ticks coarsely
 * (the kernel's, every few ms; an NFS server's, with its own granularity),
 * so two changes within one tick leave the same mtime. A render that
 * looked within `racyMs` of the last change may have missed a second change
 * with the same timestamp (git's "racily clean" index entries); it is
 * reused only by requests that arrived while it was already running.
 *
 * Over NFS the client caches a folder's attributes (`actimeo`), so its mtime
 * can lag the server's; readdir lags with it, so the cache adds at most
 * `maxAgeMs` to what the mount already shows.
 */
export function renderAnswers(
  stamp: RenderStamp,
  request: ListingRequest,
  nowMs: number,
  limits: Pick<ListingCacheLimits, 'maxAgeMs' | 'racyMs'>,
): boolean {
  if (stamp.tick > request.tick) return true;
  if (nowMs - stamp.startedAtMs >= limits.maxAgeMs) return false;
  if (!sameFolderVersion(stamp.version, request.version)) return false;
  return stamp.wallStartedAtMs - Math.max(stamp.version.mtimeMs, stamp.version.ctimeMs) >= limits.racyMs;
}

/** A kept listing as the eviction sees it, oldest use first. */
export interface KeptListing {
  key: string;
  bytes: number;
  startedAtMs: number;
}

/** Which kept listings to drop: those past `maxAgeMs` (no request may use them), then the least recently used until both bounds hold. */
export function listingsToEvict(
  kept: readonly KeptListing[],
  nowMs: number,
  limits: Pick<ListingCacheLimits, 'maxEntries' | 'maxBytes' | 'maxAgeMs'>,
): string[] {
  const expired = kept.filter((listing) => nowMs - listing.startedAtMs >= limits.maxAgeMs);
  const live = kept.filter((listing) => nowMs - listing.startedAtMs < limits.maxAgeMs);
  let entries = live.length;
  let bytes = live.reduce((sum, listing) => sum + listing.bytes, 0);
  const evicted = expired.map((listing) => listing.key);
  for (const listing of live) {
    if (entries <= limits.maxEntries && bytes <= limits.maxBytes) break;
    evicted.push(listing.key);
    entries -= 1;
    bytes -= listing.bytes;
  }
  return evicted;
}

export interface ListingCacheOptions<V> {
  limits?: Partial<ListingCacheLimits>;
  /** The bytes a value holds, or undefined when it must not be kept (an error page, a pass to the next handler). */
  sizeOf(value: V): number | undefined;
  /** Called with the bytes kept after each change (a metric). */
  onBytes?(bytes: number): void;
  monotonicMs?(): number;
  wallMs?(): number;
}

interface Entry<V> {
  stamp: RenderStamp;
  value: V;
  bytes: number;
}

interface Flight<V> {
  stamp: RenderStamp;
  promise: Promise<V>;
}

/**
 * Rendered folder listings, bounded in entries and bytes, and at most one
 * render in flight per key: a request either uses a kept listing that
 * `renderAnswers` allows, joins the render in flight when that one answers
 * it, or waits for it to end and then joins (or starts) the next one. Under
 * load, a folder of thousands of entries is then read and rendered once per
 * change or `maxAgeMs`, not once per request: each render stats every entry
 * through libuv's small thread pool, which image reads need too.
 */
export class ListingCache<V> {
  private readonly limits: ListingCacheLimits;
  /** In order of last use, oldest first. */
  private readonly entries = new Map<string, Entry<V>>();
  private readonly flights = new Map<string, Flight<V>>();
  private ticks = 0;
  private bytes = 0;
  private readonly monotonicMs: () => number;
  private readonly wallMs: () => number;

  constructor(private readonly options: ListingCacheOptions<V>) {
    this.limits = { ...DEFAULT_LISTING_CACHE_LIMITS, ...options.limits };
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.wallMs = options.wallMs ?? Date.now;
  }

  /** A request's arrival, to be taken before it looks at the folder. */
  tick(): number {
    return ++this.ticks;
  }

  /** The listing for `key` that may answer `request`, rendering it (once, however many requests wait) when none may. */
  async get(key: string, request: ListingRequest, render: () => Promise<V>): Promise<V> {
    for (;;) {
      const now = this.monotonicMs();
      const entry = this.entries.get(key);
      if (entry !== undefined && renderAnswers(entry.stamp, request, now, this.limits)) {
        this.entries.delete(key);
        this.entries.set(key, entry);
        return entry.value;
      }
      const flight = this.flights.get(key);
      if (flight === undefined) return this.start(key, request, render);
      if (renderAnswers(flight.stamp, request, now, this.limits)) return flight.promise;
      // The render in flight looked too early for this request: the next one, started once it ends, will not.
      await flight.promise.catch(() => undefined);
    }
  }

  private start(key: string, request: ListingRequest, render: () => Promise<V>): Promise<V> {
    const stamp: RenderStamp = {
      tick: this.tick(),
      startedAtMs: this.monotonicMs(),
      wallStartedAtMs: this.wallMs(),
      version: request.version,
    };
    const flight: Flight<V> = {
      stamp,
      promise: Promise.resolve()
        .then(render)
        .then((value) => {
          this.keep(key, stamp, value);
          return value;
        })
        .finally(() => {
          if (this.flights.get(key) === flight) this.flights.delete(key);
        }),
    };
    this.flights.set(key, flight);
    return flight.promise;
  }

  private keep(key: string, stamp: RenderStamp, value: V): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    const bytes = this.options.sizeOf(value);
    if (bytes !== undefined && bytes <= this.limits.maxEntryBytes) {
      this.entries.set(key, { stamp, value, bytes });
      this.bytes += bytes;
    }
    const kept = [...this.entries].map(([name, entry]) => ({
      key: name,
      bytes: entry.bytes,
      startedAtMs: entry.stamp.startedAtMs,
    }));
    for (const evicted of listingsToEvict(kept, this.monotonicMs(), this.limits)) {
      this.bytes -= this.entries.get(evicted)?.bytes ?? 0;
      this.entries.delete(evicted);
    }
    this.options.onBytes?.(this.bytes);
  }

  /** Kept listings and their bytes (for tests and metrics). */
  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
