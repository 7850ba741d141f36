import type { Redis } from 'ioredis';
import { failedMetadata, parseUrlMetadata, type UrlMetadata } from '../store/url-metadata.js';
import type { UrlMetadataSource } from '../store/url-metadata-source.js';
import { type FleetKeys, jobIdForUrl } from './fleet-keys.js';

/**
 * Per-URL metadata of a fleet, in one Redis hash by download job id (the
 * URL's `jobIdForUrl`): every worker, on any host, reads the validators of
 * the URL it is about to fetch and writes back what it learnt. The store's
 * own metadata.jsonl is for the single process of `fetch`; many writers on
 * NFS could not share one file.
 */
export class FleetMetadata implements UrlMetadataSource {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
  ) {}

  async get(url: string): Promise<UrlMetadata | undefined> {
    return metadataOf(url, await this.redis.hget(this.keys.metadata, jobIdForUrl(url)));
  }

  /** The metadata of many URLs (those known), by URL: one HMGET per GET_MANY_BATCH of them, not a round trip each. */
  async getMany(urls: readonly string[]): Promise<Map<string, UrlMetadata>> {
    const found = new Map<string, UrlMetadata>();
    for (let start = 0; start < urls.length; start += GET_MANY_BATCH) {
      const batch = urls.slice(start, start + GET_MANY_BATCH);
      const texts = await this.redis.hmget(this.keys.metadata, ...batch.map(jobIdForUrl));
      batch.forEach((url, i) => {
        const metadata = metadataOf(url, texts[i] ?? null);
        if (metadata !== undefined) found.set(url, metadata);
      });
    }
    return found;
  }

  async set(metadata: UrlMetadata): Promise<void> {
    await this.redis.hset(this.keys.metadata, jobIdForUrl(metadata.url), JSON.stringify(metadata));
  }

  /** Read again, not handed in: a failure is rare next to a success, and one lookup more keeps the interface one. */
  async recordFailure(url: string, error: { code: string; message: string }): Promise<void> {
    const previous = await this.get(url);
    if (previous) await this.set(failedMetadata(previous, error, new Date()));
  }

  /**
   * Forgets URLs no longer in the list (`keep` holds the job ids of a round
   * that read the whole list), so that Redis memory follows the list, not
   * every URL it ever held. Returns how many were removed.
   */
  async prune(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.metadata, cursor, 'COUNT', 1000);
      cursor = next;
      const stale: string[] = [];
      for (let i = 0; i < flat.length; i += 2) if (!keep.has(flat[i]!)) stale.push(flat[i]!);
      if (stale.length > 0) removed += await this.redis.hdel(this.keys.metadata, ...stale);
    } while (cursor !== '0');
    return removed;
  }
}

/** URLs per HMGET of getMany: a round's failed URLs may be its whole list, and Redis answers one command at a time. */
const GET_MANY_BATCH = 1000;

function metadataOf(url: string, text: string | null): UrlMetadata | undefined {
  const metadata = text === null ? undefined : parseUrlMetadata(text);
  // The id is a hash of the URL: check it is this URL's, however unlikely a collision is.
  return metadata?.url === url ? metadata : undefined;
}
