import { hostname } from 'node:os';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type FleetKeys, ROUND_SCHEDULER_ID } from '../core/fleet/fleet-keys.js';
import type { JsonLogger } from '../core/log/json-logger.js';

/** The job every scheduled or requested round starts from. */
export interface RoundJobData {
  trigger: 'schedule' | 'manual';
}

/** Round jobs are small; a few are kept for `round --wait` and the dashboard, none forever. */
export const ROUND_JOB_OPTIONS = { removeOnComplete: 50, removeOnFail: 50, attempts: 1 } as const;

/**
 * Makes the fleet's one job scheduler fire every `everyMs`. The schedule
 * lives in Redis, so however many coordinators run, each interval yields
 * one round job, taken by one of them. This is the only place that upserts
 * it, and it does so under a Redis lock and only when the interval differs
 * from the stored one: coordinators starting together never race (concurrent
 * upserts have duplicated jobs in past BullMQ releases), and a restart does
 * not reset the schedule.
 */
export async function ensureRoundSchedule(
  redis: Redis,
  rounds: Queue<RoundJobData>,
  keys: FleetKeys,
  everyMs: number,
  log: JsonLogger,
): Promise<void> {
  const owner = `${hostname()}:${process.pid}`;
  for (;;) {
    if ((await redis.set(keys.scheduleLock, owner, 'PX', 30_000, 'NX')) === 'OK') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    const existing = await rounds.getJobScheduler(ROUND_SCHEDULER_ID);
    if (existing?.every === everyMs) {
      log.info('round schedule already in place', {
        everyMs,
        next: existing.next === undefined ? undefined : new Date(existing.next).toISOString(),
      });
      return;
    }
    if (existing) log.warn('changing the round interval of the whole fleet', { fromMs: existing.every, toMs: everyMs });
    await rounds.upsertJobScheduler(
      ROUND_SCHEDULER_ID,
      { every: everyMs },
      { name: 'round', data: { trigger: 'schedule' }, opts: ROUND_JOB_OPTIONS },
    );
    log.info('round schedule created', { everyMs });
  } finally {
    if ((await redis.get(keys.scheduleLock)) === owner) await redis.del(keys.scheduleLock);
  }
}
