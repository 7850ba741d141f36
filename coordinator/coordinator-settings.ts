import { duration } from '../core/config/download-settings.js';
import { valueSetting } from '../core/config/setting.js';
import { fleetSettings } from '../core/fleet/fleet-settings.js';
import { metricsSettings } from '../core/metrics/metrics-settings.js';

/** Everything `image-loader coordinator` accepts. */
export const coordinatorSettings = {
  ...fleetSettings,
  ...metricsSettings,
  list: valueSetting<string | undefined>({
    flag: 'list',
    env: 'IMAGE_LOADER_LIST',
    default: undefined,
    expected: 'a file path or an http(s):// URL',
    help: 'The URL list: a file, or an http(s):// URL it is fetched from each round (required).',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  everyMs: valueSetting<number>({
    flag: 'every',
    env: 'IMAGE_LOADER_EVERY',
    default: 300_000,
    expected: 'a duration of at least 1s, such as 5m, 300 (seconds) or 1h',
    help: 'Round interval, kept in Redis by the job scheduler (default 5m).',
    parse: duration(1000),
  }),
  // The store is optional here (the coordinator downloads nothing): with it, each round's summary and a
  // heartbeat are written into the store for web nodes. Same flag and variable as the worker's.
  store: valueSetting<string | undefined>({
    flag: 'store',
    env: 'IMAGE_LOADER_STORE',
    default: undefined,
    expected: 'a directory path',
    help: "Store to write each round's summary and a heartbeat into (optional).",
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
};
