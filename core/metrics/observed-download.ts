import type { StoredImage } from '../download/downloader.js';
import { asImageLoaderError } from '../errors/image-loader-error.js';
import type { DownloadMetrics } from './download-metrics.js';
import { storedOutcome } from './download-outcome.js';

type Download = (url: string, options: { signal: AbortSignal; onBodyReceived: () => void }) => Promise<StoredImage>;

/**
 * Wraps a round's `download` (see runRound) so that each attempt is counted.
 * A failed attempt is `retried` when runRound will try the URL again (a
 * retryable failure with retries left, the round not stopped), `failed`
 * otherwise. The attempt numbers kept are those of URLs in flight or
 * waiting for a retry: bounded by the round's concurrency and retries.
 */
export function observedDownload(download: Download, metrics: DownloadMetrics, retries: number): Download {
  const attempts = new Map<string, number>();
  return async (url, options) => {
    const attempt = (attempts.get(url) ?? 0) + 1;
    attempts.set(url, attempt);
    const end = metrics.start();
    try {
      const image = await download(url, options);
      attempts.delete(url);
      end(storedOutcome(image), image.transferred);
      return image;
    } catch (caught) {
      const error = asImageLoaderError(caught, url);
      const again = error.retryable && attempt <= retries && !options.signal.aborted;
      if (!again) attempts.delete(url);
      end(again ? 'retried' : 'failed', 0, error.code);
      throw caught;
    }
  };
}
