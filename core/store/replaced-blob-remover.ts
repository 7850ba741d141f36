import { Slots } from '../service/slots.js';
import type { ImageStore } from './image-store.js';
import { settleReplacedBlob } from './prune-replaced.js';
import { BLOB_REMOVALS_AT_ONCE } from './remove-blob.js';

/**
 * With `--keep-replaced 0`, removes the versions a `fetch` round replaces while the round goes on, once its list was
 * read to its end: the removals overlap the downloads instead of following them, and the round's end only waits
 * for those still in flight. Each blob by the rule and rename of pruning after the round (settleReplacedBlob), so
 * a blob that a name links again stays. What it could not remove is left to that pruning; it stops on `signal`.
 */
export class ReplacedBlobRemover {
  removedFiles = 0;
  removedBytes = 0;
  /** Blobs it kept (a clock ahead of this one), could not remove, or did not begin before `signal`: the round's pruning gets them again. */
  readonly leftOver: string[] = [];
  private readonly slots = new Slots(BLOB_REMOVALS_AT_ONCE);
  /** Blobs added and not yet settled, running or waiting for a slot. */
  private unsettled = 0;
  private whenSettled: (() => void) | undefined;

  constructor(
    private readonly store: ImageStore,
    private readonly signal: AbortSignal,
  ) {}

  /** Removes `blob` (relative to the blob folder) once a slot is free, at most BLOB_REMOVALS_AT_ONCE at once. */
  add = (blob: string): void => {
    this.unsettled++;
    void this.slots
      .acquire()
      .then(() => this.remove(blob))
      .finally(() => {
        this.slots.release();
        if (--this.unsettled === 0) this.whenSettled?.();
      });
  };

  /** Resolves once every blob added so far was settled (after `signal`, those still waiting at once, as left over). */
  async drained(): Promise<void> {
    if (this.unsettled > 0) await new Promise<void>((resolve) => (this.whenSettled = resolve));
  }

  private async remove(blob: string): Promise<void> {
    if (this.signal.aborted) {
      this.leftOver.push(blob);
      return;
    }
    try {
      const settled = await settleReplacedBlob(this.store, blob, { keepReplacedMs: 0, signal: this.signal });
      if (settled.outcome === 'removed') {
        this.removedFiles++;
        this.removedBytes += settled.bytes;
      } else if (settled.outcome === 'kept') this.leftOver.push(blob);
    } catch {
      this.leftOver.push(blob);
    }
  }
}
