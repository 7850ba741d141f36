import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readSecretFile } from '../config/read-secret-file.js';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { JsonLogger } from '../log/json-logger.js';
import type { Closable } from '../service/close-all.js';
import { redactRedisUrl } from './fleet-settings.js';

export interface RedisTarget {
  redis: string;
  redisPasswordFile: string | undefined;
}

/** How long an operator command waits for any one answer from Redis. */
const COMMAND_TIMEOUT_MS = 5_000;

/** Services wait out an outage; operator commands (status, round) should fail fast instead. */
export type RedisRole = 'service' | 'command';

/**
 * Opens an ioredis connection. For services, commands issued while Redis is
 * down wait (queued offline, `maxRetriesPerRequest: null`, which BullMQ's
 * workers need anyway) and the client reconnects forever with a capped
 * backoff: an outage pauses the fleet, it does not kill it. For commands,
 * the first failure is an IMG_ERR_REDIS error.
 */
export async function connectRedis(
  target: RedisTarget,
  role: RedisRole,
  name: string,
  log?: JsonLogger,
): Promise<Redis> {
  const password =
    target.redisPasswordFile === undefined
      ? undefined
      : await readSecretFile(target.redisPasswordFile, `the Redis password file ${target.redisPasswordFile}`);
  const where = redactRedisUrl(target.redis);
  const redis = new Redis(target.redis, {
    ...(password === undefined ? {} : { password }),
    connectionName: name,
    lazyConnect: role === 'command',
    maxRetriesPerRequest: role === 'service' ? null : 0,
    enableOfflineQueue: role === 'service',
    connectTimeout: role === 'service' ? 10_000 : 3_000,
    // A Redis that accepts the connection but never answers (stopped, overloaded) must not hang an operator command.
    ...(role === 'command' ? { commandTimeout: COMMAND_TIMEOUT_MS } : {}),
    retryStrategy: role === 'service' ? (times) => Math.min(200 * times, 2_000) : () => null,
  });
  let down = false;
  let lastError: Error | undefined;
  redis.on('error', (error: NodeJS.ErrnoException) => {
    lastError = error;
    // ioredis repeats the error on every reconnection attempt: one line per outage is enough.
    if (!down && role === 'service') log?.error('redis unreachable; waiting for it', { redis: where, error });
    down = true;
  });
  redis.on('ready', () => {
    if (down) log?.info('redis reachable again', { redis: where });
    down = false;
  });
  // A service starts even while Redis is down: it connects when Redis comes up (the retry strategy keeps trying).
  if (role === 'command') {
    // ioredis's connectTimeout ends at the TCP connect; its ready check (INFO) is timed by nothing it promises.
    let silent = false;
    const noAnswer = setTimeout(() => {
      silent = true;
      redis.disconnect();
    }, COMMAND_TIMEOUT_MS);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      // "Connection is closed" hides the reason (a refused connection, NOAUTH): the error event had it.
      const reason = silent
        ? `no answer within ${COMMAND_TIMEOUT_MS / 1000} s`
        : (lastError?.message ?? (error as Error).message);
      throw new ImageLoaderError(ErrorCode.Redis, `cannot reach Redis at ${where}: ${reason}`, { cause: error });
    } finally {
      clearTimeout(noAnswer);
    }
  }
  return redis;
}

/**
 * Warns about Redis settings that lose jobs: an eviction policy other than
 * noeviction drops queue keys under memory pressure, and without AOF a
 * restart forgets every job of the round. A Redis that forbids CONFIG
 * (managed services) is trusted, with a note.
 */
export async function checkRedisSetup(redis: Redis, log: JsonLogger): Promise<void> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as [string, string];
    if (policy !== 'noeviction') {
      log.warn(
        `redis maxmemory-policy is "${policy}": under memory pressure Redis will delete queue keys and jobs will be lost; set maxmemory-policy noeviction`,
        { maxmemoryPolicy: policy },
      );
    }
    if (appendonly !== 'yes') {
      log.warn(
        'redis runs without AOF persistence (appendonly no): a Redis restart loses the jobs of the round in progress; set appendonly yes',
        { appendonly },
      );
    }
  } catch (error) {
    log.warn(
      'cannot read the Redis configuration (CONFIG GET refused); make sure maxmemory-policy is noeviction and appendonly is yes',
      { error },
    );
  }
}

/** A connection as a Closable: QUIT when Redis is up (replies still due arrive first), dropped at once when it is not. */
/** A BullMQ queue as a Closable: closed, or at the deadline its connection dropped. */
export function queueClosable(name: string, queue: Queue): Closable {
  return { name, close: () => queue.close(), force: () => void queue.disconnect().catch(() => {}) };
}

export function redisClosable(name: string, redis: Redis): Closable {
  return {
    name,
    close: async () => {
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    },
    force: () => redis.disconnect(),
  };
}
