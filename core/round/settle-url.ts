import type { Downloader, DownloadOptions, StoredImage } from '../download/downloader.js';
import { ErrorCode } from '../errors/error-codes.js';
import { asImageLoaderError, ImageLoaderError } from '../errors/image-loader-error.js';
import type { UrlMetadataSource } from '../store/url-metadata-source.js';
import { judgeFailure } from './judge-failure.js';
import { errorEntry, type UrlEntry } from './round-summary.js';

/** The two things a round does to a URL: try it, and remember its failure. */
export interface SettleSteps {
  /** One attempt: downloads `url` into the store; calls `onBodyReceived` when the network part is over. */
  download(url: string, options: { signal: AbortSignal; onBodyReceived: () => void }): Promise<StoredImage>;
  /** Called once per URL whose last attempt failed. */
  recordFailure?(url: string, error: ImageLoaderError): void | Promise<void>;
  /** Called as each attempt starts; what it returns is called with the attempt's outcome (metrics). */
  observeAttempt?(): (outcome: SettleOutcome) => void;
}

/**
 * The steps over the store, the same in both modes: download (conditional on
 * the URL's metadata from the last round) and commit, then keep the metadata
 * the download returns; after a last failure, remember it in the metadata.
 */
export function storeSettleSteps(
  downloader: Pick<Downloader, 'download'>,
  metadata: UrlMetadataSource,
): Required<Omit<SettleSteps, 'observeAttempt'>> {
  return {
    download: async (url, options: DownloadOptions) => {
      const previous = await metadata.get(url);
      const { image, metadata: next } = await downloader.download(url, previous, options);
      // A copy skipped as still fresh comes back as the very same object: nothing to write.
      if (next !== previous) await metadata.set(next);
      return image;
    },
    recordFailure: (url, error) => metadata.recordFailure(url, error),
  };
}

/** A URL's summary entry, without its list line (the fleet's ledger adds that from its own record). */
export type SettledEntry = Omit<UrlEntry, 'line'>;

export type SettleOutcome =
  /** The URL's word in this round: stored, unchanged, or failed for good (its failure recorded). */
  | { kind: 'settled'; entry: SettledEntry; transferred: number; fresh: boolean }
  /** Failed with retries left: the caller waits out a backoff (fetch in-process, the fleet through BullMQ). */
  | { kind: 'retry'; error: ImageLoaderError }
  /** Failed because the process is stopping: given back untouched (a worker returns it to the queue). */
  | { kind: 'hand-back'; error: ImageLoaderError };

export interface SettleUrlOptions {
  /** 1 for the first request. */
  attempt: number;
  /** Retries allowed after the first attempt, for retryable failures only. */
  retries: number;
  /** Stops the attempt (shutdown): no request starts once it is aborted, a running one aborts. */
  signal: AbortSignal;
  /** What a failure while stopping becomes (see judgeFailure). */
  whenStopping: 'settle' | 'hand-back';
  onBodyReceived?: () => void;
}

/**
 * One URL's step in a round, written once for `fetch` and the fleet's
 * workers: one attempt (download, commit, metadata), then either its summary
 * entry or the failure's verdict. Never throws for the URL's own failure;
 * a failure to record one (the metadata's store) is thrown.
 */
export async function settleUrl(url: string, steps: SettleSteps, options: SettleUrlOptions): Promise<SettleOutcome> {
  const ended = steps.observeAttempt?.();
  const outcome = await attemptUrl(url, steps, options);
  ended?.(outcome);
  return outcome;
}

async function attemptUrl(url: string, steps: SettleSteps, options: SettleUrlOptions): Promise<SettleOutcome> {
  const { attempt, signal } = options;
  try {
    if (signal.aborted)
      throw new ImageLoaderError(ErrorCode.Aborted, 'round stopped before this URL was tried', { url });
    const { transferred, fresh, ...image } = await steps.download(url, {
      signal,
      onBodyReceived: options.onBodyReceived ?? (() => {}),
    });
    return { kind: 'settled', entry: { url, ...image, attempts: fresh ? 0 : attempt }, transferred, fresh };
  } catch (caught) {
    const error = asImageLoaderError(caught, url);
    const verdict = judgeFailure({
      retryable: error.retryable,
      attempt,
      retries: options.retries,
      stopping: signal.aborted,
      whenStopping: options.whenStopping,
    });
    if (verdict !== 'settle') return { kind: verdict, error };
    await steps.recordFailure?.(url, error);
    return {
      kind: 'settled',
      entry: { url, status: 'failed', attempts: attempt, error: errorEntry(error) },
      transferred: 0,
      fresh: false,
    };
  }
}
