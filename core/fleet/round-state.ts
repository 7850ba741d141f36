import {
  type DuplicateEntry,
  type OmittedListProblems,
  type RoundSummary,
  summarizeRound,
  type UrlEntry,
} from '../round/round-summary.js';

/** What started a round. */
export type RoundTrigger = 'schedule' | 'manual';

/**
 * A fleet round as Redis keeps it while it runs (one hash): who drives it,
 * how far the list has been enqueued, and counters the workers bump as URLs
 * settle. Everything a standby coordinator needs to take over.
 */
export interface RoundState {
  roundId: string;
  list: string;
  startedAt: number;
  trigger: RoundTrigger;
  /** host/pid of the coordinator that started the round. */
  coordinator: string;
  /** The round job driving it; another coordinator takes over when that job is no longer active. */
  driverJobId: string;
  /** Every list line up to this one has been enqueued (resume point after a takeover). */
  enqueuedThroughLine: number;
  /** Distinct URLs and invalid lines enqueued or recorded so far. */
  urls: number;
  invalidLines: number;
  /** The whole list has been read (or could not be: see listError). */
  listRead: boolean;
  listError: { code: string; message: string } | undefined;
  skippedStarts: number;
  /** Someone ran `image-loader round` while this one ran: start another when it ends. */
  rerunRequested: boolean;
  downloaded: number;
  unchanged: number;
  failed: number;
  bytesTransferred: number;
}

export function newRoundState(parts: {
  roundId: string;
  list: string;
  startedAt: number;
  trigger: RoundTrigger;
  coordinator: string;
  driverJobId: string;
}): RoundState {
  return {
    ...parts,
    enqueuedThroughLine: 0,
    urls: 0,
    invalidLines: 0,
    listRead: false,
    listError: undefined,
    skippedStarts: 0,
    rerunRequested: false,
    downloaded: 0,
    unchanged: 0,
    failed: 0,
    bytesTransferred: 0,
  };
}

/** The hash fields of a new round (counters start absent: HINCRBY creates them). */
export function roundStateFields(state: RoundState): Record<string, string> {
  return {
    roundId: state.roundId,
    list: state.list,
    startedAt: String(state.startedAt),
    trigger: state.trigger,
    coordinator: state.coordinator,
    driverJobId: state.driverJobId,
    enqueuedThroughLine: String(state.enqueuedThroughLine),
    urls: String(state.urls),
    invalidLines: String(state.invalidLines),
    listRead: state.listRead ? '1' : '0',
  };
}

/** Reads a round hash back; undefined when it is missing or not one of ours. */
export function parseRoundState(fields: Record<string, string>): RoundState | undefined {
  if (fields.roundId === undefined || fields.startedAt === undefined) return undefined;
  const number = (name: string): number => {
    const value = Number(fields[name] ?? 0);
    return Number.isFinite(value) ? value : 0;
  };
  let listError: RoundState['listError'];
  if (fields.listError !== undefined) {
    try {
      listError = JSON.parse(fields.listError) as RoundState['listError'];
    } catch {
      listError = { code: 'unknown', message: fields.listError };
    }
  }
  return {
    roundId: fields.roundId,
    list: fields.list ?? '',
    startedAt: number('startedAt'),
    trigger: fields.trigger === 'manual' ? 'manual' : 'schedule',
    coordinator: fields.coordinator ?? '',
    driverJobId: fields.driverJobId ?? '',
    enqueuedThroughLine: number('enqueuedThroughLine'),
    urls: number('urls'),
    invalidLines: number('invalidLines'),
    listRead: fields.listRead === '1',
    listError,
    skippedStarts: number('skippedStarts'),
    rerunRequested: fields.rerunRequested === '1',
    downloaded: number('downloaded'),
    unchanged: number('unchanged'),
    failed: number('failed'),
    bytesTransferred: number('bytesTransferred'),
  };
}

/** A finished round's summary: the same shape as `fetch --json`, plus what only a fleet round has. */
export function fleetRoundSummary(
  state: RoundState,
  entries: UrlEntry[],
  duplicates: DuplicateEntry[],
  finishedAt: number,
  omitted?: OmittedListProblems,
): RoundSummary {
  const summary = summarizeRound({
    ...(omitted === undefined ? {} : { omitted }),
    roundId: state.roundId,
    list: state.list,
    startedAt: state.startedAt,
    finishedAt,
    entries,
    duplicates,
    invalidLines: state.invalidLines,
    bytesTransferred: state.bytesTransferred,
    aborted: false,
  });
  return {
    ...summary,
    trigger: state.trigger,
    skippedStarts: state.skippedStarts,
    ...(state.listError === undefined ? {} : { listError: state.listError }),
  };
}

/** How many failed entries a round keeps in Redis's history (counts stay exact; the store's last-round.json has them all). */
export const HISTORY_FAILED_ENTRIES = 1000;

/**
 * The summary as the round history keeps it (100 rounds): entries that
 * worked are dropped, failures kept up to a cap, so a 100,000-URL list does
 * not cost 100 copies of its every line in Redis.
 */
export function historySummary(
  summary: RoundSummary,
  maxFailed = HISTORY_FAILED_ENTRIES,
): RoundSummary & { entriesKept: 'failed' } {
  const failed = summary.entries.filter((entry) => entry.status === 'failed');
  return { ...summary, entries: failed.slice(0, maxFailed), entriesKept: 'failed' };
}

/** One settled URL as the ledger keeps it: the list line, a tab, the entry without its line. */
export function encodeSettledEntry(line: number, entry: Omit<UrlEntry, 'line'>): string {
  return `${line}\t${JSON.stringify(entry)}`;
}

export function decodeSettledEntry(text: string): UrlEntry | undefined {
  const tab = text.indexOf('\t');
  const line = Number(text.slice(0, tab));
  if (tab < 1 || !Number.isInteger(line)) return undefined;
  try {
    const { url, ...rest } = JSON.parse(text.slice(tab + 1)) as Omit<UrlEntry, 'line'>;
    return { url, line, ...rest };
  } catch {
    return undefined;
  }
}
