import { concurrencySetting, downloadSettings, duration } from '../core/config/download-settings.js';
import { switchSetting, valueSetting } from '../core/config/setting.js';

/** Everything `image-loader fetch` accepts: the download core's settings plus the round's own. */
export const fetchSettings = {
  ...downloadSettings,
  concurrency: concurrencySetting,
  everyMs: valueSetting<number | undefined>({
    flag: 'every',
    env: 'IMAGE_LOADER_EVERY',
    default: undefined,
    expected: 'a duration of at least 1s, such as 5m, 300 (seconds) or 1h',
    help: 'Repeat the round at this interval until stopped (SIGINT/SIGTERM); rounds never overlap.',
    parse: duration(1000),
  }),
  json: switchSetting({ flag: 'json', env: 'IMAGE_LOADER_JSON', help: 'Print the round summary as one JSON document on stdout.' }),
  quiet: switchSetting({ flag: 'quiet', env: 'IMAGE_LOADER_QUIET', help: 'Print nothing but errors.' }),
};
