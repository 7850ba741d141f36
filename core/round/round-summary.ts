/**
 * The round summary: printed by `fetch --json` and `status --json`, written
 * to `STORE/.image-loader/last-round.json` by completeRound in both modes,
 * and kept in Redis by the fleet's RoundLedger (entries in list order, as
 * summarizeRound sorts them). A public contract documented in the README:
 * add fields freely, never rename or remove one.
 */
export interface UrlEntry {
  /** The URL as requested (normalised); for an invalid list line, the raw text. */
  url: string;
  /** 1-based line number in the list. */
  line: number;
  status: 'downloaded' | 'unchanged' | 'failed';
  /** Human-tree name relative to the store root: `STORE/<path>` is the file. Absent when nothing is stored. */
  path?: string;
  sha256?: string;
  /** Size of the stored image. */
  bytes?: number;
  contentType?: string;
  /** How many requests this URL took in this round (1 when it worked at once, 0 when a fresh copy was not asked for). */
  attempts?: number;
  error?: { code: string; message: string; status?: number };
}

export interface DuplicateEntry {
  url: string;
  line: number;
  firstLine: number;
}

export interface RoundSummary {
  schema: 'image-loader/round@1';
  roundId: string;
  list: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: {
    /** Distinct URLs plus invalid lines (every one, listed in `entries` or not). */
    total: number;
    downloaded: number;
    unchanged: number;
    /** Of `unchanged`, how many were not asked for at all: the stored copy was still fresh (absent in older summaries). */
    fresh?: number;
    failed: number;
    /** Of `failed`, how many were invalid list lines. */
    invalidLines: number;
    /** Repeated URLs dropped (not in `entries`; listed in `duplicates`, up to the cap). */
    duplicates: number;
  };
  /** Body bytes received this round. */
  bytesTransferred: number;
  /** Failed entries by error code. */
  failuresByCode: Record<string, number>;
  /** Set when the round was stopped before every URL settled (shutdown). */
  aborted?: boolean;
  /** Fleet mode: what started the round. */
  trigger?: 'schedule' | 'manual';
  /** Fleet mode: scheduled or requested starts that came while this round ran and were skipped (rounds never overlap). */
  skippedStarts?: number;
  /**
   * Invalid lines and duplicates past the first LISTED_LIST_PROBLEMS of a round: counted in `counts`
   * and `failuresByCode`, not listed in `entries` / `duplicates`. Absent when nothing was left out.
   */
  omitted?: { invalidLines: number; duplicates: number };
  /** Fleet mode: the list could not be read (whole or to its end); entries hold what was read before. */
  listError?: { code: string; message: string };
  /** Pruning after this round: what it removed, or why it removed nothing on purpose (`held`). Absent when the store was not pruned. */
  prune?: {
    removedFiles: number;
    removedBytes: number;
    durationMs: number;
    /** `full`: the store was walked; `replaced`: only the blobs this round replaced and those in their grace were checked. */
    scope?: 'full' | 'replaced';
    held?: { reason: string; message: string };
  };
  /** The store after this round's pruning: live images (human names, distinct bytes) and unreferenced blobs kept for their grace. */
  store?: { liveFiles: number; liveBytes: number; graceFiles: number; graceBytes: number };
  entries: UrlEntry[];
  duplicates: DuplicateEntry[];
}

/** What a round counted of its list's problems without listing them (see ListProblemCap). */
export interface OmittedListProblems {
  invalidLinesByCode: Record<string, number>;
  duplicates: number;
}

export function summarizeRound(parts: {
  roundId: string;
  list: string;
  startedAt: number;
  finishedAt: number;
  entries: UrlEntry[];
  duplicates: DuplicateEntry[];
  invalidLines: number;
  /** Invalid lines (by code) and duplicates counted but not listed (see ListProblemCap). */
  omitted?: OmittedListProblems;
  bytesTransferred: number;
  aborted: boolean;
}): RoundSummary {
  const entries = [...parts.entries].sort((a, b) => a.line - b.line);
  const omittedByCode = parts.omitted?.invalidLinesByCode ?? {};
  const omittedInvalid = Object.values(omittedByCode).reduce((sum, count) => sum + count, 0);
  const omittedDuplicates = parts.omitted?.duplicates ?? 0;
  const counts = {
    total: entries.length + omittedInvalid,
    downloaded: 0,
    unchanged: 0,
    fresh: 0,
    failed: omittedInvalid,
    invalidLines: parts.invalidLines,
    duplicates: parts.duplicates.length + omittedDuplicates,
  };
  const failuresByCode: Record<string, number> = { ...omittedByCode };
  for (const entry of entries) {
    counts[entry.status]++;
    if (entry.status === 'unchanged' && entry.attempts === 0) counts.fresh++;
    if (entry.status === 'failed') {
      const code = entry.error?.code ?? 'unknown';
      failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
    }
  }
  return {
    schema: 'image-loader/round@1',
    roundId: parts.roundId,
    list: parts.list,
    startedAt: new Date(parts.startedAt).toISOString(),
    finishedAt: new Date(parts.finishedAt).toISOString(),
    durationMs: parts.finishedAt - parts.startedAt,
    counts,
    bytesTransferred: parts.bytesTransferred,
    failuresByCode,
    ...(parts.aborted ? { aborted: true } : {}),
    ...(omittedInvalid + omittedDuplicates > 0
      ? { omitted: { invalidLines: omittedInvalid, duplicates: omittedDuplicates } }
      : {}),
    entries,
    duplicates: parts.duplicates,
  };
}

/** How a failure appears in a summary entry. */
export function errorEntry(error: { code: string; message: string; status?: number | undefined }): {
  code: string;
  message: string;
  status?: number;
} {
  return error.status === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, message: error.message, status: error.status };
}
