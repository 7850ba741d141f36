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

/** The store's live size after the round's pruning, as the summary reports it (absent when the store was not measured). */
export function storeSize(summary: Pick<RoundSummary, 'store'>): { bytes: number; files: number } | undefined {
  return summary.store === undefined ? undefined : { bytes: summary.store.liveBytes, files: summary.store.liveFiles };
}
