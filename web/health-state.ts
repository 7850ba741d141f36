import type { Heartbeat } from '../core/store/heartbeat.js';

/** What the latest look at the store found. */
export type StoreObservation =
  | { kind: 'heartbeat'; heartbeat: Heartbeat; at: number }
  /** A store written by `fetch` (no coordinator): its last round's end stands in for a heartbeat. */
  | { kind: 'last-round'; finishedAt: string; at: number }
  /** `what: 'store'`: the store folder itself is gone (not mounted, moved away); `'status'`: it has neither status file. */
  | { kind: 'missing'; what: 'store' | 'status'; path: string; at: number }
  /** `code`: the errno code (EACCES, EIO, ESTALE) or what was wrong with the file; `message`: the system's words, with the path. */
  | { kind: 'unreadable'; code: string; message?: string; at: number };

/**
 * The verdict's kind, stable for machines (load balancers, alerts, the
 * probe's log): the reason's wording and ages change, this does not.
 */
export type HealthState = 'fresh' | 'stale' | 'missing' | 'unreadable' | 'not-responding' | 'not-checked';

export interface HealthInput {
  /** The latest completed observation, if any. */
  observation: StoreObservation | undefined;
  /** When the probe still running (if one is) started: a probe that does not come back means a hung file system. */
  probeStartedAt: number | undefined;
  now: number;
  /** A probe longer than this counts as a store that does not respond. */
  probeTimeoutMs: number;
  /** Stale when older than this many intervals. */
  staleFactor: number;
  /** The interval to assume when the store does not say (a `fetch` store without a heartbeat). */
  defaultEveryMs: number;
}

export interface HealthVerdict {
  healthy: boolean;
  state: HealthState;
  /** For people and load balancers: why it is (un)healthy. */
  reason: string;
  /** When unreadable: the errno code (EACCES, EIO, …) or what was wrong with the status file. */
  errorCode?: string;
  lastRoundId?: string;
  lastRoundFinishedAt?: string;
  /** Age of the store's last sign of life (heartbeat, or last round), ms. */
  storeAgeMs?: number;
  staleAfterMs?: number;
}

/**
 * The health verdict, from what the probe saw and when: pure, so every case
 * (fresh, stale, missing, unreadable, hung) is a row of a table test.
 */
export function judgeHealth(input: HealthInput): HealthVerdict {
  const { observation, probeStartedAt, now } = input;
  if (probeStartedAt !== undefined && now - probeStartedAt > input.probeTimeoutMs) {
    return {
      healthy: false,
      state: 'not-responding',
      reason: `store not responding: a read has been waiting ${((now - probeStartedAt) / 1000).toFixed(1)} s (hung NFS mount?)`,
    };
  }
  if (observation === undefined) return { healthy: false, state: 'not-checked', reason: 'store not checked yet' };
  if (observation.kind === 'missing') {
    const reason =
      observation.what === 'store'
        ? `store missing: ${observation.path} does not exist (not mounted, or moved away?)`
        : `store missing: no heartbeat.json or last-round.json in ${observation.path}`;
    return { healthy: false, state: 'missing', reason };
  }
  if (observation.kind === 'unreadable') {
    return {
      healthy: false,
      state: 'unreadable',
      reason: `store unreadable: ${observation.message ?? observation.code}`,
      errorCode: observation.code,
    };
  }
  const everyMs = observation.kind === 'heartbeat' ? observation.heartbeat.everyMs : input.defaultEveryMs;
  const staleAfterMs = input.staleFactor * everyMs;
  const lastSign = observation.kind === 'heartbeat' ? observation.heartbeat.at : observation.finishedAt;
  const storeAgeMs = Math.max(0, now - Date.parse(lastSign));
  const round =
    observation.kind === 'heartbeat'
      ? {
          ...(observation.heartbeat.lastRoundId === undefined
            ? {}
            : { lastRoundId: observation.heartbeat.lastRoundId }),
          ...(observation.heartbeat.lastRoundFinishedAt === undefined
            ? {}
            : { lastRoundFinishedAt: observation.heartbeat.lastRoundFinishedAt }),
        }
      : { lastRoundFinishedAt: observation.finishedAt };
  if (storeAgeMs > staleAfterMs) {
    return {
      healthy: false,
      state: 'stale',
      reason: `store stale: last sign of life ${formatAge(storeAgeMs)} ago, limit ${formatAge(staleAfterMs)}`,
      ...round,
      storeAgeMs,
      staleAfterMs,
    };
  }
  return { healthy: true, state: 'fresh', reason: 'store fresh', ...round, storeAgeMs, staleAfterMs };
}

function formatAge(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
