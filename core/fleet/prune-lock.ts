import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { FleetKeys } from './fleet-keys.js';
import { RedisScript } from './redis-script.js';

/** Deletes the lock only if this holder still owns it (it may have expired and been taken by another). */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * One prune of a fleet's store at a time: the coordinator's after each round, or an operator's
 * `image-loader prune`. A Redis key set only if absent, with an expiry so that a pruner killed mid-way
 * does not block pruning for ever; the expiry is far above a prune's duration (a walk of the store).
 */
export class PruneLock {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
    private readonly expiryMs = 600_000,
  ) {}

  /** Takes the lock if free; false if another prune holds it. */
  async tryAcquire(): Promise<boolean> {
    return (await this.redis.set(this.keys.pruneLock, this.owner, 'PX', this.expiryMs, 'NX')) === 'OK';
  }

  /** The current holder, for messages. */
  async holder(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.pruneLock)) ?? undefined;
  }

  async release(): Promise<void> {
    await RELEASE.run(this.redis, [this.keys.pruneLock], [this.owner]);
  }
}
