import { formatBytes } from '../core/config/format-bytes.js';
import { ErrorCode } from '../core/errors/error-codes.js';
import type { ListEntry } from '../core/list/read-url-list.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import type { ImageStore } from '../core/store/image-store.js';
import type { MetadataIndex } from '../core/store/metadata-index.js';
import type { ReplacedBlobRemover } from '../core/store/replaced-blob-remover.js';
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
    /** What removed replaced versions during the round (--keep-replaced 0), if anything did. */
    remover?: ReplacedBlobRemover | undefined;
    io: { stderr: NodeJS.WritableStream; signal: AbortSignal };
    store: ImageStore;
    index: MetadataIndex;
  },
): Promise<RoundSummary> {
  const { config, io, store, index, emptyAtStart, remover } = parts;
  const startedAt = Date.now();
  try {
    await remover?.drained();
    const { report, fields } = await pruneAfterRound(
      store,
      config,
      {
        startedAtMs: Date.parse(summary.startedAt),
        complete: true,
        listedUrls: listed,
        knownPath: (url) => index.get(url)?.path,
        knowledge: {
          replacedBlobs: [...index.takeReplacedBlobs(), ...(remover?.leftOver ?? [])],
          names: index.knownNames(),
          emptyAtStart,
        },
      },
      io.signal,
    );
    index.forgetPaths(report.delistedPaths);
    // The removals made during the round count as this round's; the time is what the round's end waited for.
    fields.prune.removedFiles += remover?.removedFiles ?? 0;
    fields.prune.removedBytes += remover?.removedBytes ?? 0;
    fields.prune.durationMs = Date.now() - startedAt;
    if (report.held) io.stderr.write(`prune: ${report.held.reason}: ${report.held.message}${duringRound(remover)}\n`);
    else if (fields.prune.removedFiles > 0 && !config.quiet)
      io.stderr.write(
        `pruned ${fields.prune.removedFiles} file(s) (${report.delistedPaths.length} delisted name(s)), ${formatBytes(fields.prune.removedBytes)} freed\n`,
      );
    return withPruneFields(summary, fields);
  } catch (error) {
    io.stderr.write(
      `error: ${ErrorCode.Store}: cannot prune the store: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}${duringRound(remover)}\n`,
    );
    if (!remover?.removedFiles) return summary;
    const { removedFiles, removedBytes } = remover;
    return withPruneFields(summary, { prune: { removedFiles, removedBytes, durationMs: Date.now() - startedAt } });
  }
}

/**
 * What a held or failed pruning leaves said: the replaced versions already removed during the round (a hold is
 * about delisted names; the listed URLs' old versions went as their new ones came).
 */
function duringRound(remover: ReplacedBlobRemover | undefined): string {
  if (!remover?.removedFiles) return '';
  return `; ${remover.removedFiles} replaced version(s) were removed during the round, ${formatBytes(remover.removedBytes)}`;
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
