import type { UrlMetadata } from './url-metadata.js';

/**
 * Where a round keeps each URL's metadata between rounds: the store's own
 * index for `fetch` (metadata-index.ts), a Redis hash for the fleet
 * (fleet-metadata.ts). The round's per-URL step (core/round/settle-url.ts)
 * reads and writes it only through this, so it is written once for both.
 * Methods may answer at once (an in-memory index) or later (Redis).
 */
export interface UrlMetadataSource {
  /** The URL's metadata from an earlier round, if any. */
  get(url: string): UrlMetadata | undefined | Promise<UrlMetadata | undefined>;
  /** Keeps what a download learnt about `metadata.url`. */
  set(metadata: UrlMetadata): void | Promise<void>;
  /** After the URL's last attempt in a round failed: its stored copy (if any) stays, and remembers the failure. */
  recordFailure(url: string, error: { code: string; message: string }): void | Promise<void>;
}
