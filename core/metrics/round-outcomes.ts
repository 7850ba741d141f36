import type { RoundSummary } from '../round/round-summary.js';

/** A round's URLs split into the outcomes the metrics report; the four add up to `counts.total`. */
export interface RoundOutcomes {
  stored: number;
  unchanged: number;
  fresh: number;
  failed: number;
}

/**
 * Pure: the outcome counts of a summary. `unchanged` here excludes the URLs
 * skipped as fresh (`counts.fresh`, absent in summaries written before that
 * field existed: then 0).
 */
export function roundOutcomes(summary: Pick<RoundSummary, 'counts'>): RoundOutcomes {
  const fresh = summary.counts.fresh ?? 0;
  return {
    stored: summary.counts.downloaded,
    unchanged: summary.counts.unchanged - fresh,
    fresh,
    failed: summary.counts.failed,
  };
}

/** A round that did not cover its whole list: stopped (shutdown) or its list unreadable. */
export function roundResult(summary: Pick<RoundSummary, 'aborted' | 'listError'>): 'complete' | 'aborted' {
  return summary.aborted === true || summary.listError !== undefined ? 'aborted' : 'complete';
}

/**
 * The store's size as a summary reports it, when it does: the fields
 * `store.bytes` and `store.files` (written by rounds that measure the store).
 */
export function storeSize(summary: object): { bytes: number; files: number } | undefined {
  const store = (summary as { store?: { bytes?: unknown; files?: unknown } }).store;
  if (store === undefined || store === null) return undefined;
  const { bytes, files } = store;
  return typeof bytes === 'number' && typeof files === 'number' ? { bytes, files } : undefined;
}
