/** One completed round as the rounds page and chart show it: only these fields, each checked. */
export interface RoundRow {
  roundId: string;
  trigger: string;
  /** As stored (ISO 8601), for display. */
  startedAt: string;
  /** Parsed; undefined when the stored value is not a date. */
  startedMs: number | undefined;
  durationMs: number | undefined;
  total: number;
  downloaded: number;
  unchanged: number;
  failed: number;
  invalidLines: number;
  duplicates: number;
  bytesTransferred: number;
  skippedStarts: number;
  /** Failed entries by error code, most frequent first. */
  failures: Array<[code: string, count: number]>;
  listError: string | undefined;
  /** The store's live bytes and files after the round's pruning; undefined when the round did not record them. */
  storeBytes: number | undefined;
  storeFiles: number | undefined;
  /** What pruning did: bytes freed, or why it held back. */
  pruned: string | undefined;
}

const MAX_TEXT = 200;
const MAX_CODES = 20;

/**
 * Reads the round history (newest first, as RoundLedger.history returns it)
 * into rows. It is read from Redis, so nothing in it is trusted to have the
 * summary's shape: a missing or mistyped field becomes empty or 0, long
 * text is cut, and nothing but these fields reaches the page.
 */
export function roundRows(history: readonly unknown[]): RoundRow[] {
  return history.map((item) => roundRow(isRecord(item) ? item : {}));
}

function roundRow(summary: Record<string, unknown>): RoundRow {
  const counts = isRecord(summary.counts) ? summary.counts : {};
  const startedAt = text(summary.startedAt);
  const parsed = Date.parse(startedAt);
  const failuresByCode = isRecord(summary.failuresByCode) ? summary.failuresByCode : {};
  const failures = Object.entries(failuresByCode)
    .map(([code, n]): [string, number] => [text(code), count(n)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_CODES);
  const listError = isRecord(summary.listError)
    ? `${text(summary.listError.code)}: ${text(summary.listError.message)}`
    : undefined;
  const duration = summary.durationMs;
  const store = isRecord(summary.store) ? summary.store : undefined;
  const prune = isRecord(summary.prune) ? summary.prune : undefined;
  const held = prune && isRecord(prune.held) ? text(prune.held.reason) : undefined;
  return {
    roundId: text(summary.roundId),
    trigger: text(summary.trigger) || 'schedule',
    startedAt,
    startedMs: Number.isFinite(parsed) ? parsed : undefined,
    durationMs: typeof duration === 'number' && Number.isFinite(duration) && duration >= 0 ? duration : undefined,
    total: count(counts.total),
    downloaded: count(counts.downloaded),
    unchanged: count(counts.unchanged),
    failed: count(counts.failed),
    invalidLines: count(counts.invalidLines),
    duplicates: count(counts.duplicates),
    bytesTransferred: count(summary.bytesTransferred),
    skippedStarts: count(summary.skippedStarts),
    failures,
    listError,
    storeBytes: store === undefined ? undefined : count(store.liveBytes) + count(store.graceBytes),
    storeFiles: store === undefined ? undefined : count(store.liveFiles) + count(store.graceFiles),
    pruned:
      prune === undefined
        ? undefined
        : held !== undefined && held !== ''
          ? `held: ${held}`
          : `${count(prune.removedFiles)} files, ${count(prune.removedBytes)} bytes`,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const string = String(value);
  return string.length > MAX_TEXT ? `${string.slice(0, MAX_TEXT)}…` : string;
}

/** A count: a non-negative safe integer, or 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
