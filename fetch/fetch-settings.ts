import { concurrencySetting, downloadSettings, integer } from '../core/config/download-settings.js';
import { everySetting } from '../core/config/every-setting.js';
import { switchSetting, valueSetting } from '../core/config/setting.js';
import { stopTimeoutSetting } from '../core/config/stop-timeout-setting.js';
import { metricsSettings } from '../core/metrics/metrics-settings.js';
import { pruneSettings } from '../core/store/prune-settings.js';
import { webAppSettings } from '../web/web-settings.js';

/** Everything `image-loader fetch` accepts: the download core's settings plus the round's own. */
export const fetchSettings = {
  ...downloadSettings,
  concurrency: concurrencySetting,
  everyMs: everySetting<number | undefined>({
    default: undefined,
    defaultText: 'none: one round, then exit',
    help: 'Repeat the round at this interval until stopped (SIGINT/SIGTERM); rounds never overlap.',
  }),
  servePort: valueSetting<number | undefined>({
    flag: 'serve',
    env: 'IMAGE_LOADER_SERVE',
    default: undefined,
    defaultText: 'none: no serving',
    expected: 'a TCP port from 0 to 65535',
    help: 'Also serve the store over HTTP on this port (as image-loader web does) until stopped.',
    parse: integer(0, 65535),
  }),
  serveHost: valueSetting<string>({
    flag: 'serve-host',
    env: 'IMAGE_LOADER_SERVE_HOST',
    default: '0.0.0.0',
    expected: 'an address to listen on, such as 0.0.0.0 or 127.0.0.1',
    help: 'Address --serve listens on.',
    parse: (text) => (text.trim() === '' ? undefined : text.trim()),
  }),
  ...webAppSettings,
  ...pruneSettings,
  ...metricsSettings,
  json: switchSetting({
    flag: 'json',
    env: 'IMAGE_LOADER_JSON',
    help: 'Print the round summary as one JSON document on stdout (one a line with --every).',
  }),
  quiet: switchSetting({ flag: 'quiet', env: 'IMAGE_LOADER_QUIET', help: 'Print nothing but errors.' }),
  stopTimeoutMs: stopTimeoutSetting,
};
