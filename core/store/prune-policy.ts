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
  return blob.nlink === 1 && nowMs - blob.ctimeMs >= keepReplacedMs;
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
