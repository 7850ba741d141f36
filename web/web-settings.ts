import { downloadSettings, integer } from '../core/config/download-settings.js';
import { everySetting } from '../core/config/every-setting.js';
import { valueSetting } from '../core/config/setting.js';
import { stopTimeoutSetting } from '../core/config/stop-timeout-setting.js';

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
  ...webAppSettings,
  stopTimeoutMs: {
    ...stopTimeoutSetting,
    help: 'On SIGTERM, how long requests in progress may take to finish before their connections are closed.',
  },
};
