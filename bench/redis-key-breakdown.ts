import type { RedisServer } from '../harness/redis-server.js';

/** Keys of one shape (ids replaced by placeholders) and what they hold together. */
export interface KeyGroup {
  pattern: string;
  keys: number;
  /** Sum of MEMORY USAGE (SAMPLES 0: every element counted). */
  bytes: number;
}

/** Ids in key names, replaced so that keys of the same kind fall into one group. */
const ID_PATTERNS: [RegExp, string][] = [
  [/\d{4}-\d{2}-\d{2}T[\d-]+Z-[0-9a-f]{8}/g, '<round>'],
  [/:u[0-9a-f]{40}\b/g, ':<url job>'],
  [/:repeat:[^:]+/g, ':repeat:<job>'],
  [/:\d+$/g, ':<job>'],
  [/:fleet:host:.+$/g, ':fleet:host:<host>'],
];

/**
 * Where Redis's memory is, key shape by key shape, largest first: what
 * tells a per-round leak (a group whose key count or bytes climbs with the
 * rounds) from a structure that is merely big. Reads every key, so it is
 * for the moments between rounds, not during one.
 */
export function redisKeyBreakdown(redis: RedisServer): KeyGroup[] {
  const keys = redis
    .query('--scan')
    .split('\n')
    .filter((key) => key !== '');
  const sizes = redis.queryBatch(keys.map((key) => ['MEMORY', 'USAGE', key, 'SAMPLES', '0']));
  const groups = new Map<string, KeyGroup>();
  keys.forEach((key, index) => {
    const pattern = ID_PATTERNS.reduce((name, [regex, placeholder]) => name.replace(regex, placeholder), key);
    const group = groups.get(pattern) ?? { pattern, keys: 0, bytes: 0 };
    group.keys++;
    group.bytes += Number(sizes[index]) || 0;
    groups.set(pattern, group);
  });
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}
