import { integer } from '../config/download-settings.js';
import { parseListenAddress } from '../config/parse-listen-address.js';
import { valueSetting } from '../config/setting.js';

/** `--metrics-port` and `--metrics-host`: where a worker or `fetch` serves its Prometheus metrics (off by default). */
export const metricsSettings = {
  metricsPort: valueSetting<number | undefined>({
    flag: 'metrics-port',
    env: 'IMAGE_LOADER_METRICS_PORT',
    default: undefined,
    defaultText: 'off',
    expected: 'a TCP port from 0 to 65535 (0: any free port, logged)',
    help: 'Serve Prometheus metrics at /metrics on this port.',
    parse: integer(0, 65_535),
  }),
  metricsHost: valueSetting<string>({
    flag: 'metrics-host',
    env: 'IMAGE_LOADER_METRICS_HOST',
    default: '127.0.0.1',
    expected: 'an IP address such as 127.0.0.1, ::1 or 0.0.0.0 (or localhost)',
    help: 'Address --metrics-port listens on.',
    parse: parseListenAddress,
  }),
};
