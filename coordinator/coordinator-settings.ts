import { everySetting } from '../core/config/every-setting.js';
import { valueSetting } from '../core/config/setting.js';
import { stopTimeoutSetting } from '../core/config/stop-timeout-setting.js';
import { fleetSettings } from '../core/fleet/fleet-settings.js';
import { metricsSettings } from '../core/metrics/metrics-settings.js';
import { pruneSettings } from '../core/store/prune-settings.js';

/** Everything `image-loader coordinator` accepts. */
export const coordinatorSettings = {
  ...fleetSettings,
  ...metricsSettings,
  list: valueSetting<string | undefined>({
    flag: 'list',
    env: 'IMAGE_LOADER_LIST',
    default: undefined,
    defaultText: 'none: required',
    expected: 'a file path or an http(s):// URL',
    help: 'The URL list: a file, or an http(s):// URL it is fetched from each round (required).',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  everyMs: everySetting<number>({
    default: 300_000,
    help: 'Round interval, kept in Redis by the job scheduler; give every coordinator the same one.',
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
  stopTimeoutMs: stopTimeoutSetting,
  // With --store, each complete round prunes it (once per round, whichever coordinator drives it).
  ...pruneSettings,
};
