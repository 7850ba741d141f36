/**
 * `STORE/.image-loader/heartbeat.json`: written by the fleet's coordinator
 * after every round and whenever a scheduled start finds a round still
 * running, so web nodes can tell a store that is looked after from one that
 * went stale (no coordinator, no Redis). A public contract like the round
 * summary: add fields freely, never rename or remove one.
 */
export interface Heartbeat {
  schema: 'image-loader/heartbeat@1';
  /** When it was written (ISO 8601). */
  at: string;
  /** The round interval: a heartbeat older than a few of these means nobody looks after the store. */
  everyMs: number;
  /** The last completed round, if any. */
  lastRoundId?: string;
  lastRoundFinishedAt?: string;
  /** The round running when it was written, if any. */
  roundInProgress?: string;
}

export function parseHeartbeat(text: string): Heartbeat | undefined {
  try {
    const value = JSON.parse(text) as Partial<Heartbeat>;
    if (
      value.schema !== 'image-loader/heartbeat@1' ||
      typeof value.at !== 'string' ||
      Number.isNaN(Date.parse(value.at)) ||
      typeof value.everyMs !== 'number'
    )
      return undefined;
    return value as Heartbeat;
  } catch {
    return undefined;
  }
}
