import { formatDuration } from './format-duration.js';
import { formatSize } from './format-size.js';
import { parseDuration } from './parse-duration.js';
import { parseSize } from './parse-size.js';
import { switchSetting, valueSetting } from './setting.js';

function integer(min: number, max: number): (text: string) => number | undefined {
  return (text) => {
    if (!/^\s*\d+\s*$/.test(text)) return undefined;
    const value = Number(text);
    return value >= min && value <= max ? value : undefined;
  };
}

function duration(minMs: number, plainUnit: 'ms' | 's' = 's'): (text: string) => number | undefined {
  return (text) => {
    const ms = parseDuration(text, plainUnit);
    return ms !== undefined && ms >= minMs ? ms : undefined;
  };
}

/**
 * Settings of the download core, shared by `fetch` and `worker`, so each has
 * one flag, one variable, one default and one validation everywhere.
 */
export const downloadSettings = {
  store: valueSetting<string>({
    flag: 'store',
    env: 'IMAGE_LOADER_STORE',
    default: './images',
    expected: 'a directory path',
    help: 'Store directory (created if missing).',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  perHost: valueSetting<number>({
    flag: 'per-host',
    env: 'IMAGE_LOADER_PER_HOST',
    default: 8,
    expected: 'an integer from 1 to 256',
    help: 'Open connections per host, reused with keep-alive.',
    parse: integer(1, 256),
  }),
  maxBytes: valueSetting<number>({
    flag: 'max-bytes',
    env: 'IMAGE_LOADER_MAX_BYTES',
    default: 50 * 1024 ** 2,
    expected: 'a size such as 52428800, 10MB or 50MiB (at least 1 byte)',
    help: 'Largest image accepted; SI units (10MB = 10^7 bytes) or binary ones (50MiB, 50M).',
    format: formatSize,
    parse: (text) => {
      const bytes = parseSize(text);
      return bytes !== undefined && bytes >= 1 ? bytes : undefined;
    },
  }),
  timeoutMs: valueSetting<number>({
    flag: 'timeout',
    env: 'IMAGE_LOADER_TIMEOUT',
    default: 60_000,
    expected: 'a duration of at least 100ms, in seconds (30) or with a unit (30s, 2m)',
    help: 'Total deadline per download, redirects included.',
    format: formatDuration,
    parse: duration(100),
  }),
  connectTimeoutMs: valueSetting<number>({
    flag: 'connect-timeout',
    env: 'IMAGE_LOADER_CONNECT_TIMEOUT',
    default: 10_000,
    expected: 'a duration of at least 100ms, in seconds or with a unit',
    help: 'Time to establish a connection.',
    format: formatDuration,
    parse: duration(100),
  }),
  idleTimeoutMs: valueSetting<number>({
    flag: 'idle-timeout',
    env: 'IMAGE_LOADER_IDLE_TIMEOUT',
    default: 30_000,
    expected: 'a duration of at least 100ms, in seconds or with a unit',
    help: 'Longest silence while waiting for headers or between body chunks.',
    format: formatDuration,
    parse: duration(100),
  }),
  retries: valueSetting<number>({
    flag: 'retries',
    env: 'IMAGE_LOADER_RETRIES',
    default: 3,
    expected: 'an integer from 0 to 20',
    help: 'Retries for transient failures (resets, timeouts, 5xx, 429), with backoff.',
    parse: integer(0, 20),
  }),
  allowPrivate: switchSetting({
    flag: 'allow-private',
    env: 'IMAGE_LOADER_ALLOW_PRIVATE',
    help: 'Allow loopback, private and link-local addresses (off: SSRF guard).',
  }),
  allowSvg: switchSetting({
    flag: 'allow-svg',
    env: 'IMAGE_LOADER_ALLOW_SVG',
    help: 'Store SVG images (they can carry scripts).',
  }),
  fsync: switchSetting({
    flag: 'fsync',
    env: 'IMAGE_LOADER_FSYNC',
    help: 'fsync each image before renaming it into place (slower; for filesystems without ordered writes).',
  }),
  userAgent: valueSetting<string | undefined>({
    flag: 'user-agent',
    env: 'IMAGE_LOADER_USER_AGENT',
    default: undefined,
    defaultText: 'image-loader/VERSION',
    expected: 'a non-empty string',
    help: 'User-Agent header.',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  revalidate: valueSetting<'auto' | 'always'>({
    flag: 'revalidate',
    env: 'IMAGE_LOADER_REVALIDATE',
    default: 'auto',
    expected: '"auto" or "always"',
    help: 'auto: skip URLs the origin declared fresh (Cache-Control/Expires); always: ask every round.',
    parse: (text) => (text === 'auto' || text === 'always' ? text : undefined),
  }),
};

/** Downloads at once in one process (`fetch` or a `worker`), over all hosts. */
export const concurrencySetting = valueSetting<number>({
  flag: 'concurrency',
  env: 'IMAGE_LOADER_CONCURRENCY',
  default: 16,
  expected: 'an integer from 1 to 1024',
  help: 'Downloads in flight at once, over all hosts; a download gives its slot back once its body has arrived.',
  parse: integer(1, 1024),
});

export { duration, integer };
