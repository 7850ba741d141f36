import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { FleetKeys } from './fleet-keys.js';
import { RedisScript } from './redis-script.js';

// A counting semaphore per host with leases that expire unless renewed: a worker killed while holding one
// starves its host for one lease time at most. Redis's clock decides expiry, so workers' clocks may disagree.
const acquireScript = new RedisScript(`
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], nowMs + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`);

// Keeps a held lease alive: only if it is still there (an expired lease stays gone; its holder carries on,
// the cap is then briefly exceeded by one, which beats blocking a download midway).
const renewScript = new RedisScript(`
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', nowMs + tonumber(ARGV[1]), ARGV[2]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0`);

const releaseScript = new RedisScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('PUBLISH', KEYS[2], ARGV[2]) end
return 0`);

/** How long a waiter sleeps before asking again when no release was announced (a lease expired, a message was lost). */
const POLL_MS = 500;

export interface HostLease {
  /** Gives the lease back; safe to call more than once. */
  release(): void;
}

/**
 * Fleet-wide politeness: at most `cap` requests to one host at once, summed
 * over every worker process on every machine. BullMQ's own limiter counts
 * jobs per queue, not per host, so this is a Redis semaphore of our own. A
 * release is announced on a pub/sub channel so that a waiting worker asks
 * again at once instead of polling.
 */
export class HostLeases {
  private readonly waiters = new Map<string, Array<() => void>>();

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly keys: FleetKeys,
    private readonly cap: number,
    private readonly leaseMs: number,
  ) {}

  /** `subscriber` becomes a subscriber-only connection. A held lease is renewed every third of `leaseMs`; a dead holder's expires after it. */
  static async start(
    redis: Redis,
    subscriber: Redis,
    keys: FleetKeys,
    cap: number,
    leaseMs: number,
  ): Promise<HostLeases> {
    const leases = new HostLeases(redis, subscriber, keys, cap, leaseMs);
    subscriber.on('message', (_channel: string, host: string) => leases.wakeOne(host));
    await subscriber.subscribe(keys.hostReleased);
    return leases;
  }

  async acquire(host: string, signal: AbortSignal): Promise<HostLease> {
    const id = randomUUID();
    const key = this.keys.hostLeases(host);
    while (!(await acquireScript.run(this.redis, [key], [this.cap, this.leaseMs, id]))) {
      if (signal.aborted) throw new ImageLoaderError(ErrorCode.Aborted, 'stopped while waiting for a turn at the host');
      await this.waitForRelease(host, signal);
    }
    let held = true;
    // Renewed while held, so that a lease can be short: a worker killed while holding some frees its host
    // within one lease time, not after the longest download could last.
    const renewal = setInterval(
      () => void renewScript.run(this.redis, [key], [this.leaseMs, id]).catch(() => {}),
      this.leaseMs / 3,
    );
    renewal.unref();
    return {
      release: () => {
        if (!held) return;
        held = false;
        clearInterval(renewal);
        // Not awaited: the caller's work is done; an outage only delays the release (the lease expires anyway).
        releaseScript.run(this.redis, [key, this.keys.hostReleased], [id, host]).catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    for (const queue of this.waiters.values()) for (const wake of queue) wake();
    this.waiters.clear();
    this.subscriber.disconnect();
  }

  private waitForRelease(host: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.waiters.get(host) ?? [];
      this.waiters.set(host, queue);
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        const index = queue.indexOf(done);
        if (index >= 0) queue.splice(index, 1);
        if (queue.length === 0 && this.waiters.get(host) === queue) this.waiters.delete(host);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS * (0.5 + Math.random()));
      signal.addEventListener('abort', done, { once: true });
      queue.push(done);
    });
  }

  /** One release frees one place: wake one local waiter (the others would only lose the race). */
  private wakeOne(host: string): void {
    this.waiters.get(host)?.[0]?.();
  }
}
