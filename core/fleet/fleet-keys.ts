import { createHash } from 'node:crypto';

/** BullMQ queue of round jobs: the job scheduler fires into it and `image-loader round` adds to it. */
export const ROUNDS_QUEUE = 'rounds';
/** BullMQ queue of download jobs, one per URL. */
export const DOWNLOADS_QUEUE = 'downloads';
/** The one job scheduler of a fleet. */
export const ROUND_SCHEDULER_ID = 'every-interval';

/**
 * The download job id of a URL: the same URL always gets the same id, so
 * BullMQ ignores a second add while the first job waits or runs (its
 * deduplication). A hash because ids may not contain `:` and must stay short;
 * 160 bits make a collision between two URLs of a list impossible in practice.
 */
export function jobIdForUrl(url: string): string {
  return `u${createHash('sha256').update(url).digest('hex').slice(0, 40)}`;
}

/** Names of this project's own Redis keys (BullMQ names its own under the same prefix). */
export class FleetKeys {
  constructor(readonly prefix: string) {}

  /** The id of the round in progress (absent between rounds): the lock that keeps rounds from overlapping. */
  get currentRound(): string {
    return `${this.prefix}:fleet:round-current`;
  }

  /** The id of the last completed round. */
  get lastRound(): string {
    return `${this.prefix}:fleet:round-last`;
  }

  /** The last 100 rounds' summaries, newest first. */
  get history(): string {
    return `${this.prefix}:fleet:rounds`;
  }

  /** Per-URL metadata (validators, hash, path), by download job id. */
  get metadata(): string {
    return `${this.prefix}:fleet:metadata`;
  }

  /** Held while one coordinator creates or changes the job scheduler. */
  get scheduleLock(): string {
    return `${this.prefix}:fleet:schedule-lock`;
  }

  /** Held while the store is pruned (by the coordinator after a round, or by `image-loader prune`): one prune at a time. */
  get pruneLock(): string {
    return `${this.prefix}:fleet:prune-lock`;
  }

  /** Pub/sub channel: a per-host lease was given back (its message is the host). */
  get hostReleased(): string {
    return `${this.prefix}:fleet:host-released`;
  }

  /** A round's state (hash); `:pending`, `:entries`, `:duplicates` and `:failures` hang off it. */
  round(roundId: string): string {
    return `${this.prefix}:fleet:round:${roundId}`;
  }

  /** Fleet-wide per-host leases (sorted set of lease ids by expiry). */
  hostLeases(host: string): string {
    return `${this.prefix}:fleet:host:${host}`;
  }

  /** BullMQ's hash of a download job (its layout: prefix:queue:id). */
  downloadJob(jobId: string): string {
    return `${this.prefix}:${DOWNLOADS_QUEUE}:${jobId}`;
  }
}
