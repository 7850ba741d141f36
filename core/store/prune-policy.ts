/**
 * The decisions of pruning, pure and table-tested (test/unit/prune-policy.test.ts). Deleting is where data is
 * lost, so each rule errs on keeping.
 */

/** Why a round removes nothing. */
export type PruneHold =
  | { reason: 'list-incomplete'; message: string }
  | { reason: 'no-valid-url'; message: string }
  | { reason: 'over-max-delist'; message: string };

/** What a round knows about its list when it ends. */
export interface RoundListFacts {
  /** The list was read to its end (not unreadable, not truncated, the round not stopped). */
  complete: boolean;
  /** Valid, distinct URLs read. */
  validUrls: number;
}

/**
 * Whether a round's list may be trusted to say what is absent. A list that was not read to its end, or that
 * named no valid URL (an empty file, a login page saved as the list), says nothing about what to delete.
 */
export function judgeRoundList(facts: RoundListFacts): PruneHold | undefined {
  if (!facts.complete)
    return { reason: 'list-incomplete', message: 'the list was not read to its end: nothing is removed this round' };
  if (facts.validUrls === 0)
    return { reason: 'no-valid-url', message: 'the list named no valid URL: nothing is removed this round' };
  return undefined;
}

/**
 * Whether removing `delisting` of `stored` human names is within the cap. Over it, the round removes nothing
 * until an operator runs once with a higher --max-delist, or runs `prune` by hand.
 */
export function judgeDelistCap(delisting: number, stored: number, maxDelistPercent: number): PruneHold | undefined {
  if (delisting === 0 || delisting * 100 <= stored * maxDelistPercent) return undefined;
  return {
    reason: 'over-max-delist',
    message:
      `this round would remove ${delisting} of ${stored} stored URLs (${Math.round((delisting * 100) / stored)}%), ` +
      `more than --max-delist ${maxDelistPercent}%: nothing is removed; run once with a higher --max-delist, or run image-loader prune`,
  };
}

/**
 * A blob may go when no human name links it (link count 1: its own name) and it has been unreferenced for the
 * grace. Its ctime tells since when: unlinking or replacing a name of a file changes the file's ctime (POSIX,
 * and NFS servers report the server's inode ctime), and a blob is never written after it is made. A worker
 * linking it meanwhile raises the link count, so a blob in use never matches.
 */
export function blobMayGo(blob: { nlink: number; ctimeMs: number }, nowMs: number, keepReplacedMs: number): boolean {
  // In whole milliseconds, Date.now()'s resolution: a blob unreferenced this very millisecond is not in the future.
  return blob.nlink === 1 && nowMs - Math.floor(blob.ctimeMs) >= keepReplacedMs;
}

/**
 * A delisted human name may go once it has been absent from complete rounds for the grace. The grace counts
 * from its file's last change if that is later (ctime: the URL stored again by a worker, or another name of
 * the same bytes added or removed), so a name that was just written is never the one removed.
 */
export function delistedMayGo(
  name: { absentSinceMs: number; ctimeMs: number },
  nowMs: number,
  keepDelistedMs: number,
): boolean {
  return nowMs - Math.max(name.absentSinceMs, name.ctimeMs) >= keepDelistedMs;
}

/** How a round prunes: the whole store walked, or only the blobs it replaced and those still in their grace. */
export type PruneScope =
  | { scope: 'full'; reason: 'list-untrusted' | 'no-replaced-list' | 'no-record' | 'walk-due' | 'delisted-due' }
  | { scope: 'replaced' };

/** What decides a round's prune scope. */
export interface PruneScopeFacts {
  /** judgeRoundList held the round back: the full walk reports the store and removes nothing. */
  listTrusted: boolean;
  /** The round's own bookkeeping names every blob it replaced (fetch's metadata index; not the coordinator). */
  knowsReplaced: boolean;
  /** The prune record's last full walk; undefined when there is no record (a store older than it, or damaged). */
  fullWalkAtMs: number | undefined;
  /** The store held no name and no blob when the round started: all it holds is what the round's bookkeeping knows. */
  storeEmptyAtStart: boolean;
  /** When the first absent name's --keep-delisted ends (earliest absence + grace); undefined when none is absent. */
  delistedDueAtMs: number | undefined;
  nowMs: number;
  /** The longest a store goes without a full walk (FULL_WALK_EVERY_MS). */
  fullWalkEveryMs: number;
}

/**
 * The whole store is walked at least every hour: it finds what no round's bookkeeping names (blobs orphaned by a
 * process killed between commit and prune, names deleted by hand, a lost prune record) and counts the store's
 * files as they are. Twelve default rounds; a full walk of 10,000 URLs costs about half a second.
 */
export const FULL_WALK_EVERY_MS = 60 * 60_000;

/**
 * Whether a round may check only the blobs it replaced (and those kept for their grace) instead of walking the
 * store. Each doubt walks: no record (an old store is cleaned by its first round; a store that was empty when the
 * round started needs none), a walk due by time (or a clock that went back), or a delisted name whose grace may
 * have ended (only the walk removes names and judges --max-delist). Walking is never less safe, only slower.
 */
export function judgePruneScope(facts: PruneScopeFacts): PruneScope {
  if (!facts.listTrusted) return { scope: 'full', reason: 'list-untrusted' };
  if (!facts.knowsReplaced) return { scope: 'full', reason: 'no-replaced-list' };
  if (facts.fullWalkAtMs === undefined && !facts.storeEmptyAtStart) return { scope: 'full', reason: 'no-record' };
  // An empty store at the round's start counts as walked then (the caller records it so).
  const sinceWalkMs = facts.fullWalkAtMs === undefined ? 0 : facts.nowMs - facts.fullWalkAtMs;
  if (sinceWalkMs < 0 || sinceWalkMs >= facts.fullWalkEveryMs) return { scope: 'full', reason: 'walk-due' };
  if (facts.delistedDueAtMs !== undefined && facts.delistedDueAtMs <= facts.nowMs)
    return { scope: 'full', reason: 'delisted-due' };
  return { scope: 'replaced' };
}
