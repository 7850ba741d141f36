import type { ImageStore } from '../store/image-store.js';
import type { RoundSummary } from './round-summary.js';

/**
 * The one point both modes pass when a round has run to its end (`fetch`
 * after its last URL, the fleet's coordinator once no URL is pending; never
 * for a stopped round): its summary, entries in list order, becomes the
 * store's `last-round.json`, the store's word on freshness that web nodes
 * read. Whatever must follow every complete round in both modes belongs
 * here, once, and be harmless when repeated: a fleet round whose coordinator
 * dies right after this passes here again under the one that takes over. Throws the file system's error: the images are stored, so the
 * caller reports it and the next round tries again.
 */
export async function completeRound(store: ImageStore, summary: RoundSummary): Promise<void> {
  await store.writeFileAtomic(store.layout.lastRoundFile, JSON.stringify(summary));
}
