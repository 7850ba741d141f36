import { formatBytes } from '../core/config/format-bytes.js';
import { ErrorCode } from '../core/errors/error-codes.js';
import type { ListEntry } from '../core/list/read-url-list.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import type { ImageStore } from '../core/store/image-store.js';
import type { MetadataIndex } from '../core/store/metadata-index.js';
import { pruneAfterRound, type RoundPruneSettings, withPruneFields } from '../core/store/round-prune.js';

/**
 * After a complete `fetch` round (its list read to the end: runRound throws otherwise): prunes the store,
 * forgets the metadata of the names removed, and returns the summary with its `prune` and `store` fields.
 * A failure to prune is reported and the round's images stay as they are: the next round tries again.
 */
export async function pruneFetchRound(
  summary: RoundSummary,
  listed: ReadonlySet<string>,
  parts: {
    config: RoundPruneSettings & { quiet: boolean };
    /** The store held no name and no blob when the round started (storeHoldsNothing). */
    emptyAtStart: boolean;
    io: { stderr: NodeJS.WritableStream; signal: AbortSignal };
    store: ImageStore;
    index: MetadataIndex;
  },
): Promise<RoundSummary> {
  const { config, io, store, index, emptyAtStart } = parts;
  try {
    const { report, fields } = await pruneAfterRound(
      store,
      config,
      {
        startedAtMs: Date.parse(summary.startedAt),
        complete: true,
        listedUrls: listed,
        knownPath: (url) => index.get(url)?.path,
        knowledge: { replacedBlobs: index.takeReplacedBlobs(), names: index.knownNames(), emptyAtStart },
      },
      io.signal,
    );
    index.forgetPaths(report.delistedPaths);
    if (report.held) io.stderr.write(`prune: ${report.held.reason}: ${report.held.message}\n`);
    else if (report.removedFiles > 0 && !config.quiet)
      io.stderr.write(
        `pruned ${report.removedFiles} file(s) (${report.delistedPaths.length} delisted name(s)), ${formatBytes(report.removedBytes)} freed\n`,
      );
    return withPruneFields(summary, fields);
  } catch (error) {
    io.stderr.write(
      `error: ${ErrorCode.Store}: cannot prune the store: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`,
    );
    return summary;
  }
}

/** Passes a list's entries through, noting each valid URL into `listed` (the round's view of what to keep). */
export async function* noteListedUrls(
  entries: AsyncIterable<ListEntry>,
  listed: Set<string>,
): AsyncGenerator<ListEntry> {
  for await (const entry of entries) {
    if (entry.kind === 'url') listed.add(entry.url);
    yield entry;
  }
}
