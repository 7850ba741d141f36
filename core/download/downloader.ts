import { packageVersion } from '../config/version.js';
import type { ImageStore } from '../store/image-store.js';
import { confirmedMetadata, type UrlMetadata } from '../store/url-metadata.js';
import { type FetchImageOptions, fetchImage } from './fetch-image.js';
import { createHttpAgent } from './http-client.js';
import type { HttpAgent } from './undici-parts.js';

export interface DownloadSettings {
  maxBytes: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Redirects followed per request. @defaultValue DEFAULT_MAX_REDIRECTS */
  maxRedirects?: number | undefined;
  perHost: number;
  allowPrivate: boolean;
  allowSvg: boolean;
  /** The User-Agent header. @defaultValue `image-loader/VERSION` (see defaultUserAgent) */
  userAgent?: string | undefined;
  /** fsync each image before it is renamed into place (for filesystems without ordered data writes). */
  fsync: boolean;
  /** `auto`: skip asking while the origin's Cache-Control/Expires says the copy is fresh; `always`: ask every round. */
  revalidate: 'auto' | 'always';
}

/** Redirects a download follows unless told otherwise: enough for CDNs and URL shorteners, too few for a loop. */
const DEFAULT_MAX_REDIRECTS = 5;

/** The User-Agent every download sends unless told otherwise: names this program and its version to origin operators. */
function defaultUserAgent(): string {
  return `image-loader/${packageVersion()}`;
}

export interface DownloadOptions {
  /** Aborts the download (shutdown). */
  signal?: AbortSignal | undefined;
  /** Called once the body has arrived: the network part is over; closing and renaming the file follow. */
  onBodyReceived?: (() => void) | undefined;
}

/** The outcome of one URL that did not fail. */
export interface StoredImage {
  status: 'downloaded' | 'unchanged';
  /** Human-tree name relative to the store root. */
  path: string;
  sha256: string;
  bytes: number;
  contentType: string;
  /** Body bytes that crossed the network for this URL in this attempt (0 for a 304 or a fresh skip). */
  transferred: number;
  /** True when the origin was not asked at all because the stored copy was still fresh. */
  fresh: boolean;
}

/**
 * The download core: fetches one URL into the store, conditionally when the
 * store has a copy. Shared by `fetch` (one process) and the fleet's workers;
 * it knows nothing of rounds, retries, queues or where metadata is kept.
 * Throws ImageLoaderError.
 */
export class Downloader {
  private readonly agent: HttpAgent;
  private readonly fetchOptions: Omit<FetchImageOptions, 'signal'>;

  constructor(
    private readonly store: ImageStore,
    private readonly settings: DownloadSettings,
    /** Overrides the SSRF guard's address test (tests only: to refuse one loopback address and not another). */
    isBlockedAddress?: (address: string) => boolean,
  ) {
    this.agent = createHttpAgent({
      isBlockedAddress,
      perHost: settings.perHost,
      connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
      headersTimeoutMs: Math.min(settings.idleTimeoutMs, settings.timeoutMs),
      idleTimeoutMs: Math.min(settings.idleTimeoutMs, settings.timeoutMs),
      blockPrivateAddresses: !settings.allowPrivate,
    });
    this.fetchOptions = {
      dispatcher: this.agent,
      maxBytes: settings.maxBytes,
      timeoutMs: settings.timeoutMs,
      maxRedirects: settings.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      allowSvg: settings.allowSvg,
      userAgent: settings.userAgent ?? defaultUserAgent(),
      fsync: settings.fsync,
    };
  }

  /**
   * Downloads `url` into the store. `previous` is the URL's metadata from the
   * last round, if any (its validators make the request conditional); the
   * returned metadata is for the caller to keep for the next round.
   */
  async download(
    url: string,
    previous: UrlMetadata | undefined,
    options: DownloadOptions = {},
  ): Promise<{ image: StoredImage; metadata: UrlMetadata }> {
    // Is the stored copy still there (someone may have deleted it by hand)? Asked while the request
    // travels, not before it: a file system round trip less per URL. A copy found missing after a 304
    // is fetched again unconditionally.
    const presence = previous === undefined ? Promise.resolve(false) : this.store.hasImage(previous).catch(() => false);

    if (
      previous !== undefined &&
      this.settings.revalidate === 'auto' &&
      previous.freshUntil !== undefined &&
      previous.freshUntil > Date.now()
    ) {
      if (await presence) return { image: storedImage(previous, 'unchanged', 0, true), metadata: previous };
    }

    const tempPath = this.store.newTempPath();
    try {
      const request = { ...this.fetchOptions, ...options };
      // No copy to revalidate: the answer will be a body (or a failure), so open the temp file early.
      let result =
        previous === undefined
          ? await fetchImage(url, tempPath, {}, { ...request, preopen: true })
          : await fetchImage(url, tempPath, { etag: previous.etag, lastModified: previous.lastModified }, request);
      const present = await presence;
      if (result.kind === 'not-modified') {
        if (present) {
          const metadata = confirmedMetadata(previous!, result, new Date());
          return { image: storedImage(metadata, 'unchanged', 0, false), metadata };
        }
        result = await fetchImage(url, tempPath, {}, request);
        if (result.kind === 'not-modified') throw new Error('unreachable: a 304 without validators is an error');
      }
      const { metadata, changed } = await this.store.commitImage({
        url,
        tempPath,
        sha256: result.sha256,
        bytes: result.bytes,
        type: result.type,
        cache: result,
        previous,
        previousPresent: present,
      });
      return { image: storedImage(metadata, changed ? 'downloaded' : 'unchanged', result.bytes, false), metadata };
    } catch (error) {
      // A failed download may have left a partial temp file; a failed commit, one not yet renamed.
      // (On success the commit consumed it, and a 304 never created it: no system call wasted then.)
      await this.store.discardTemp(tempPath).catch(() => {});
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function storedImage(
  metadata: UrlMetadata,
  status: StoredImage['status'],
  transferred: number,
  fresh: boolean,
): StoredImage {
  return {
    status,
    path: metadata.path,
    sha256: metadata.sha256,
    bytes: metadata.bytes,
    contentType: metadata.contentType,
    transferred,
    fresh,
  };
}
