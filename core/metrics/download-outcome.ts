/**
 * What one download attempt came to, as the metrics count it: `stored` (new
 * bytes in the store), `unchanged` (the origin confirmed the copy, or sent the
 * same bytes), `fresh` (the copy was still fresh: the origin was not asked),
 * `failed` (the URL's last attempt failed), `retried` (an attempt failed and
 * the URL will be tried again).
 */
export type DownloadOutcome = 'stored' | 'unchanged' | 'fresh' | 'failed' | 'retried';

export const DOWNLOAD_OUTCOMES: readonly DownloadOutcome[] = ['stored', 'unchanged', 'fresh', 'failed', 'retried'];

/** The outcome of an attempt that did not fail. */
export function storedOutcome(image: { status: 'downloaded' | 'unchanged'; fresh: boolean }): DownloadOutcome {
  if (image.status === 'downloaded') return 'stored';
  return image.fresh ? 'fresh' : 'unchanged';
}
