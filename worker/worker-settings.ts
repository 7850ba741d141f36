import { concurrencySetting, downloadSettings, integer } from '../core/config/download-settings.js';
import { valueSetting } from '../core/config/setting.js';
import { stopTimeoutSetting } from '../core/config/stop-timeout-setting.js';
import { fleetSettings } from '../core/fleet/fleet-settings.js';
import { metricsSettings } from '../core/metrics/metrics-settings.js';

/** Everything `image-loader worker` accepts: the download core's settings (as in fetch), the fleet's, and its own. */
export const workerSettings = {
  ...downloadSettings,
  ...fleetSettings,
  ...metricsSettings,
  concurrency: concurrencySetting,
  fleetPerHost: valueSetting<number>({
    flag: 'fleet-per-host',
    env: 'IMAGE_LOADER_FLEET_PER_HOST',
    default: 8,
    expected: 'an integer from 1 to 1024',
    help: 'Requests at once to one host, summed over every worker of the fleet.',
    parse: integer(1, 1024),
  }),
  stopTimeoutMs: {
    ...stopTimeoutSetting,
    help: 'On SIGTERM, how long running downloads may take to finish before they are handed back to the queue.',
  },
};
