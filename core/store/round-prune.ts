import { IMAGE_TYPES, type ImageType } from '../image/image-types.js';
import { loadDelistedRecord, saveDelistedRecord } from './delisted-record.js';
import type { ImageStore } from './image-store.js';
import { FULL_WALK_EVERY_MS, judgePruneScope, judgeRoundList } from './prune-policy.js';
import { loadPruneRecord } from './prune-record.js';
import { pruneReplaced, type RoundKnowledge } from './prune-replaced.js';
import { type PruneReport, pruneStore, type RoundListing } from './prune-store.js';
import { urlToPath } from './url-to-path.js';

/** The settings pruning after a round needs (pruneSettings' values). */
export interface RoundPruneSettings {
  keepReplacedMs: number;
  keepDelistedMs: number;
  maxDelistPercent: number;
}

/** What a round adds to its summary about the store (fields of RoundSummary). */
export interface RoundPruneFields {
  prune: {
    removedFiles: number;
    removedBytes: number;
    durationMs: number;
    scope?: PruneReport['scope'];
    held?: { reason: string; message: string };
  };
  store: PruneReport['store'];
}

/**
 * The human names a list's URLs have: the stored one where known, else every name the URL could have
 * (one per image type), so a listed URL whose metadata was lost keeps its image all the same.
 */
function listedPathsOf(urls: Iterable<string>, knownPath: (url: string) => string | undefined): Set<string> {
  const paths = new Set<string>();
  for (const url of urls) {
    const known = knownPath(url);
    if (known !== undefined) {
      paths.add(known);
      continue;
    }
    for (const type of Object.keys(IMAGE_TYPES) as ImageType[]) {
      try {
        paths.add(urlToPath(url, type));
      } catch {
        // Not a URL the store could name: nothing of it is stored.
      }
    }
  }
  return paths;
}

/** Prunes the store after a round and returns the report and the summary's new fields. */
export async function pruneAfterRound(
  store: ImageStore,
  settings: RoundPruneSettings,
  round: {
    startedAtMs: number;
    complete: boolean;
    listedUrls: ReadonlySet<string>;
    knownPath(url: string): string | undefined;
    /** What the round's bookkeeping knows of the store (fetch): lets it skip the walk (judgePruneScope). */
    knowledge?: RoundKnowledge | undefined;
  },
  /** Stops removing on shutdown (see PruneOptions.signal). */
  signal?: AbortSignal,
): Promise<{ report: PruneReport; fields: RoundPruneFields }> {
  const listing: RoundListing = {
    startedAtMs: round.startedAtMs,
    complete: round.complete,
    validUrls: round.listedUrls.size,
    listedPaths: listedPathsOf(round.listedUrls, round.knownPath),
  };
  const report =
    (await pruneReplacedIfEnough(store, settings, listing, round.knowledge, signal)) ??
    (await pruneStore(store, { ...settings, signal, round: listing }));
  return { report, fields: pruneFields(report) };
}

/**
 * The round's pruning without a walk when judgePruneScope allows it, with the absences of the names the round
 * knows recorded as a full walk would; undefined when the store must be walked.
 */
async function pruneReplacedIfEnough(
  store: ImageStore,
  settings: RoundPruneSettings,
  listing: RoundListing,
  knowledge: RoundKnowledge | undefined,
  signal: AbortSignal | undefined,
): Promise<PruneReport | undefined> {
  const listTrusted = judgeRoundList(listing) === undefined;
  if (knowledge === undefined || !listTrusted) return undefined;
  const stored = await loadPruneRecord(store);
  const absent = await loadDelistedRecord(store);
  let absenceChanged = false;
  for (const name of knowledge.names) {
    if (listing.listedPaths.has(name.path)) absenceChanged = absent.delete(name.path) || absenceChanged;
    else if (!absent.has(name.path)) {
      absent.set(name.path, listing.startedAtMs);
      absenceChanged = true;
    }
  }
  const scope = judgePruneScope({
    listTrusted,
    knowsReplaced: true,
    fullWalkAtMs: stored?.fullWalkAtMs,
    storeEmptyAtStart: knowledge.emptyAtStart,
    delistedDueAtMs: earliestDue(absent, settings.keepDelistedMs),
    nowMs: Date.now(),
    fullWalkEveryMs: FULL_WALK_EVERY_MS,
  });
  if (scope.scope === 'full') return undefined;
  const record = stored ?? { fullWalkAtMs: listing.startedAtMs, pendingBlobs: [] };
  if (absenceChanged) await saveDelistedRecord(store, absent);
  return await pruneReplaced(store, { keepReplacedMs: settings.keepReplacedMs, signal }, knowledge, record);
}

function earliestDue(absent: ReadonlyMap<string, number>, keepDelistedMs: number): number | undefined {
  let earliest: number | undefined;
  for (const since of absent.values()) if (earliest === undefined || since < earliest) earliest = since;
  return earliest === undefined ? undefined : earliest + keepDelistedMs;
}

function pruneFields(report: PruneReport): RoundPruneFields {
  return {
    prune: {
      removedFiles: report.removedFiles,
      removedBytes: report.removedBytes,
      durationMs: report.durationMs,
      scope: report.scope,
      ...(report.held === undefined ? {} : { held: report.held }),
    },
    store: report.store,
  };
}

/**
 * The summary with pruning's fields placed before the entries, so a reader of `last-round.json` finds them in
 * the file's first bytes (the web node's /metrics reads only the head of a summary that may list millions).
 */
export function withPruneFields<Summary extends { entries: unknown; duplicates: unknown }>(
  summary: Summary,
  fields: RoundPruneFields | { prune: RoundPruneFields['prune'] },
): Summary {
  const { entries, duplicates, ...head } = summary;
  return { ...head, ...fields, entries, duplicates } as unknown as Summary;
}
