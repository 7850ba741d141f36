import { availableParallelism } from 'node:os';
import { downloadSettings, integer } from '../core/config/download-settings.js';
import { everySetting } from '../core/config/every-setting.js';
import { formatSize } from '../core/config/format-size.js';
import { parseDuration } from '../core/config/parse-duration.js';
import { parseSize } from '../core/config/parse-size.js';
import { valueSetting } from '../core/config/setting.js';
import { stopTimeoutSetting } from '../core/config/stop-timeout-setting.js';

/**
 * `--workers auto`: one process per core, as nginx's `worker_processes auto` (the default is 1, as nginx's own;
 * the package sets auto, as Debian's nginx.conf does), but at most four: one process answered 12,700 cached images
 * of 5-200 KiB a second, 660 MiB/s, while sharing two cores with its load generator (bench/RESULTS.md, scenario 10),
 * so four fill a 10 Gbit/s link, and each more costs its baseline memory (about 100 MiB).
 */
const MAX_AUTO_WORKERS = 4;
const AUTO_WORKERS = Math.min(availableParallelism(), MAX_AUTO_WORKERS);

/** Settings of the web app, shared by `image-loader web` and `fetch --serve`. */
export const webAppSettings = {
  staleFactor: valueSetting<number>({
    flag: 'stale-factor',
    env: 'IMAGE_LOADER_STALE_FACTOR',
    default: 3,
    expected: 'an integer from 1 to 1000',
    help: '/healthz reports the store stale when its heartbeat is older than this many round intervals.',
    parse: integer(1, 1000),
  }),
  cacheSize: valueSetting<number>({
    flag: 'cache-size',
    env: 'IMAGE_LOADER_CACHE_SIZE',
    default: 256 * 1024 ** 2,
    expected: 'a size such as 268435456, 256MiB or 1GB, or 0 to turn the image cache off',
    help: 'Bytes of small images kept in memory, answered without reading the store (0: off); web --workers N splits them evenly.',
    format: formatSize,
    parse: parseSize,
  }),
  cacheRecheckMs: valueSetting<number>({
    flag: 'cache-recheck',
    env: 'IMAGE_LOADER_CACHE_RECHECK',
    default: 0,
    expected: 'a duration from 0 to 1s, such as 0, 250ms or 1s',
    help: 'How long a cached image is served without a stat of its name: how long a node may serve the previous version after a round replaced it (0: a stat before each answer).',
    parse: (text) => {
      const ms = parseDuration(text, 'ms');
      return ms !== undefined && ms <= 1000 ? ms : undefined;
    },
  }),
};

/** Everything `image-loader web` accepts. */
export const webSettings = {
  // The same setting as the download core's, with help that fits: the web node never creates the store.
  store: {
    ...downloadSettings.store,
    help: 'Store directory to serve (read-only; never created: /healthz reports it missing).',
  },
  port: valueSetting<number>({
    flag: 'port',
    env: 'IMAGE_LOADER_PORT',
    default: 8080,
    expected: 'a TCP port from 0 to 65535 (0: any free port)',
    help: 'Port to listen on (0: any free port; the log line "web server listening" says which).',
    parse: integer(0, 65535),
  }),
  host: valueSetting<string>({
    flag: 'host',
    env: 'IMAGE_LOADER_HOST',
    default: '0.0.0.0',
    expected: 'an address to listen on, such as 0.0.0.0, :: or 127.0.0.1',
    help: 'Address to listen on (0.0.0.0: every IPv4 interface).',
    parse: (text) => (text.trim() === '' ? undefined : text.trim()),
  }),
  everyMs: everySetting<number>({
    default: 300_000,
    help: 'Round interval to assume when the store has no heartbeat (a fetch store): /healthz staleness.',
  }),
  workers: valueSetting<number>({
    flag: 'workers',
    env: 'IMAGE_LOADER_WORKERS',
    default: 1,
    expected: `auto (one per core, at most ${MAX_AUTO_WORKERS}), or an integer from 1 to 64`,
    help: 'Processes serving the one port (node:cluster; auto: one per core, as the package sets); --cache-size is split evenly among them.',
    parse: (text) => (text.trim() === 'auto' ? AUTO_WORKERS : integer(1, 64)(text)),
  }),
  ...webAppSettings,
  stopTimeoutMs: {
    ...stopTimeoutSetting,
    help: 'On SIGTERM, how long requests in progress may take to finish before their connections are closed.',
  },
};
