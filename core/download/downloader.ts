import type { Agent } from 'undici';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { ImageStore } from '../store/image-store.js';
import { fetchImage, type FetchImageOptions } from './fetch-image.js';
import { createHttpAgent } from './http-client.js';

export interface DownloadSettings {
  maxBytes: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxRedirects: number;
  perHost: number;
  allowPrivate: boolean;
  allowSvg: boolean;
  userAgent: string;
  /** `auto`: skip asking while the origin's Cache-Control/Expires says the copy is fresh; `always`: ask every round. */
  revalidate: 'auto' | 'always';
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
 * it knows nothing of rounds, retries or queues. Throws ImageLoaderError.
 */
export class Downloader {
  private readonly agent: Agent;
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
      maxRedirects: settings.maxRedirects,
      allowSvg: settings.allowSvg,
      userAgent: settings.userAgent,
    };
  }

  async download(url: string, signal?: AbortSignal): Promise<StoredImage> {
    const stored = await this.store.readMetadata(url);
    const previous = stored !== undefined && (await this.store.hasImage(stored)) ? stored : undefined;

    if (previous !== undefined && this.settings.revalidate === 'auto' && previous.freshUntil !== undefined && previous.freshUntil > Date.now()) {
      return { status: 'unchanged', path: previous.path, sha256: previous.sha256, bytes: previous.bytes, contentType: previous.contentType, transferred: 0, fresh: true };
    }

    const tempPath = this.store.newTempPath();
    try {
      const validators = previous === undefined ? {} : { etag: previous.etag, lastModified: previous.lastModified };
      const result = await fetchImage(url, tempPath, validators, { ...this.fetchOptions, signal });
      if (result.kind === 'not-modified') {
        const metadata = await this.store.recordNotModified(previous!, result);
        return { status: 'unchanged', path: metadata.path, sha256: metadata.sha256, bytes: metadata.bytes, contentType: metadata.contentType, transferred: 0, fresh: false };
      }
      // `stored` (not `previous`): a copy whose file was deleted by hand still names the old path to clean up.
      const { metadata, changed } = await this.store.commitImage({ url, tempPath, sha256: result.sha256, bytes: result.bytes, type: result.type, cache: result, previous: stored });
      return {
        status: changed ? 'downloaded' : 'unchanged',
        path: metadata.path,
        sha256: metadata.sha256,
        bytes: metadata.bytes,
        contentType: metadata.contentType,
        transferred: result.bytes,
        fresh: false,
      };
    } finally {
      await this.store.discardTemp(tempPath).catch(() => {});
    }
  }

  /** After the last attempt failed: the stored copy (if any) stays and remembers the failure. */
  async recordFailure(url: string, error: ImageLoaderError): Promise<void> {
    const previous = await this.store.readMetadata(url);
    if (previous !== undefined) await this.store.recordFailure(previous, error).catch(() => {});
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
