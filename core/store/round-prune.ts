import { IMAGE_TYPES, type ImageType } from '../image/image-types.js';
import type { ImageStore } from './image-store.js';
import { type PruneReport, pruneStore } from './prune-store.js';
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
    held?: { reason: string; message: string };
  };
  store: PruneReport['store'];
}

/**
 * The human names a list's URLs have: the stored one where known, else every name the URL could have
 * (one per image type), so a listed URL whose metadata was lost keeps its image all the same.
 */
export function listedPathsOf(urls: Iterable<string>, knownPath: (url: string) => string | undefined): Set<string> {
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
  },
  /** Stops removing on shutdown (see PruneOptions.signal). */
  signal?: AbortSignal,
): Promise<{ report: PruneReport; fields: RoundPruneFields }> {
  const report = await pruneStore(store, {
    ...settings,
    signal,
    round: {
      startedAtMs: round.startedAtMs,
      complete: round.complete,
      validUrls: round.listedUrls.size,
      listedPaths: listedPathsOf(round.listedUrls, round.knownPath),
    },
  });
  return { report, fields: pruneFields(report) };
}

export function pruneFields(report: PruneReport): RoundPruneFields {
  return {
    prune: {
      removedFiles: report.removedFiles,
      removedBytes: report.removedBytes,
      durationMs: report.durationMs,
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
