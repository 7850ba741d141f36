import type { ImageType } from '../image/image-types.js';

/** The HTTP cache validators and freshness an origin gave with an image: kept to make the next request conditional. */
export interface CacheInfo {
  etag: string | undefined;
  lastModified: string | undefined;
  /** RFC 9111 freshness lifetime end (ms since epoch), if the origin gave one. */
  freshUntil: number | undefined;
}

/**
 * What the store remembers about one URL between rounds: enough to ask the
 * origin conditionally next time and to answer for the URL in a summary
 * without touching the image. Kept in the store's metadata index
 * (metadata-index.ts), one JSON object a line.
 */
export interface UrlMetadata {
  /** Bumped when the shape changes incompatibly; older files are ignored (the URL is fetched afresh). */
  version: 1;
  url: string;
  /** The human-tree name, relative to the store root. */
  path: string;
  sha256: string;
  bytes: number;
  type: ImageType;
  contentType: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
  /** Fresh (RFC 9111) until then (ms since epoch): a round may skip asking. */
  freshUntil?: number | undefined;
  /** When the origin was last asked and answered (ISO 8601). */
  checkedAt: string;
  /** When the stored content last changed (ISO 8601). */
  changedAt: string;
  /** The last failure since the last success, if any. */
  lastError?: { code: string; message: string; at: string } | undefined;
}

export function parseUrlMetadata(text: string): UrlMetadata | undefined {
  try {
    const value = JSON.parse(text) as Partial<UrlMetadata>;
    if (
      value.version !== 1 ||
      typeof value.url !== 'string' ||
      typeof value.path !== 'string' ||
      typeof value.sha256 !== 'string'
    )
      return undefined;
    return value as UrlMetadata;
  } catch {
    return undefined;
  }
}

/** The origin confirmed the stored copy (304): the same image, with the validators and freshness it sent now. */
export function confirmedMetadata(
  previous: UrlMetadata,
  cache: { etag: string | undefined; lastModified: string | undefined; freshUntil: number | undefined },
  now: Date,
): UrlMetadata {
  return {
    ...previous,
    etag: cache.etag ?? previous.etag,
    lastModified: cache.lastModified ?? previous.lastModified,
    freshUntil: cache.freshUntil,
    checkedAt: now.toISOString(),
    lastError: undefined,
  };
}

/** The last attempt failed: the stored copy stays, and remembers the failure until the next success. */
export function failedMetadata(
  previous: UrlMetadata,
  error: { code: string; message: string },
  now: Date,
): UrlMetadata {
  return { ...previous, lastError: { code: error.code, message: error.message, at: now.toISOString() } };
}
