import type { FleetMetadata } from '../core/fleet/fleet-metadata.js';
import type { PruneLock } from '../core/fleet/prune-lock.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import { isInvalidLineEntry } from '../core/round/invalid-line-entry.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import type { ImageStore } from '../core/store/image-store.js';
import { pruneAfterRound, type RoundPruneSettings, withPruneFields } from '../core/store/round-prune.js';

/**
 * The coordinator's pruning after a round: once per round (in the round's finish, which one coordinator runs),
 * under the fleet's prune lock so that an operator's `prune` never runs beside it. A round whose list could not
 * be read to its end removes nothing (judgeRoundList). Returns the summary with its `prune` and `store` fields.
 */
export class FleetRoundPrune {
  constructor(
    private readonly parts: {
      store: ImageStore;
      settings: RoundPruneSettings;
      lock: PruneLock;
      metadata: FleetMetadata;
      log: JsonLogger;
    },
  ) {}

  async afterRound(summary: RoundSummary, listComplete: boolean): Promise<RoundSummary> {
    const { store, settings, lock, metadata, log } = this.parts;
    const roundId = summary.roundId;
    if (!(await lock.tryAcquire())) {
      const held = { reason: 'prune-running', message: 'another prune holds the lock: the next round prunes' };
      log.warn('store not pruned this round', { roundId, held, holder: await lock.holder() });
      return withPruneFields(summary, { prune: { removedFiles: 0, removedBytes: 0, durationMs: 0, held } });
    }
    try {
      const listed = summary.entries.filter((entry) => !isInvalidLineEntry(entry));
      // A listed URL that failed this round has no path in its entry: its stored name comes from its metadata.
      const unstored = await metadata.getMany(listed.filter((entry) => entry.path === undefined).map((e) => e.url));
      const known = new Map<string, string>();
      for (const entry of listed) {
        const path = entry.path ?? unstored.get(entry.url)?.path;
        if (path !== undefined) known.set(entry.url, path);
      }
      const { report, fields } = await pruneAfterRound(store, settings, {
        startedAtMs: Date.parse(summary.startedAt),
        complete: listComplete,
        listedUrls: new Set(listed.map((entry) => entry.url)),
        knownPath: (url) => known.get(url),
      });
      if (report.held) log.warn('store not pruned this round', { roundId, held: report.held });
      else if (report.removedFiles > 0)
        log.info('store pruned', {
          roundId,
          removedFiles: report.removedFiles,
          removedBytes: report.removedBytes,
          delisted: report.delistedPaths.length,
          ms: report.durationMs,
        });
      return withPruneFields(summary, fields);
    } catch (error) {
      log.error('cannot prune the store', { roundId, file: store.layout.root, error });
      return summary;
    } finally {
      await lock.release().catch(() => {});
    }
  }
}
