import { duration } from '../config/download-settings.js';
import { formatDuration } from '../config/format-duration.js';
import { valueSetting } from '../config/setting.js';

/**
 * Settings every fleet process shares (coordinator, worker, round, status):
 * where Redis is and which fleet on it this is.
 */
export const fleetSettings = {
  redis: valueSetting<string>({
    flag: 'redis',
    env: 'IMAGE_LOADER_REDIS',
    default: 'redis://127.0.0.1:6379',
    expected: 'a redis:// or rediss:// URL, such as redis://10.0.0.5:6379/0',
    help: 'Redis holding the queue (rediss:// for TLS; Redis Cluster is not supported).',
    parse: parseRedisUrl,
  }),
  redisPasswordFile: valueSetting<string | undefined>({
    flag: 'redis-password-file',
    env: 'IMAGE_LOADER_REDIS_PASSWORD_FILE',
    default: undefined,
    expected: 'a file path',
    help: 'File holding the Redis password (keeps it out of the URL, the environment and ps).',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  prefix: valueSetting<string>({
    flag: 'prefix',
    env: 'IMAGE_LOADER_PREFIX',
    default: 'image-loader',
    expected: '1 to 64 letters, digits, "-" or "_"',
    help: "Namespace of this fleet's keys in Redis (several fleets can share one Redis).",
    parse: (text) => (/^[A-Za-z0-9_-]{1,64}$/.test(text) ? text : undefined),
  }),
  stalledIntervalMs: valueSetting<number>({
    flag: 'stalled-interval',
    env: 'IMAGE_LOADER_STALLED_INTERVAL',
    default: 30_000,
    expected: 'a duration of at least 1s, such as 30s',
    help: "A crashed process's jobs go to another after at most twice this (lock time and check interval).",
    format: formatDuration,
    parse: duration(1000),
  }),
};

function parseRedisUrl(text: string): string | undefined {
  try {
    const url = new URL(text.trim());
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The Redis URL without its password, for logs and messages. */
export function redactRedisUrl(text: string): string {
  const url = new URL(text);
  if (url.password !== '') url.password = '***';
  return url.href;
}
