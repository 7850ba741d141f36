import { duration } from './download-settings.js';
import { formatDuration } from './format-duration.js';
import { valueSetting } from './setting.js';

/**
 * `--stop-timeout` / IMAGE_LOADER_STOP_TIMEOUT, shared by every long-running
 * command: how long SIGTERM waits for work in progress before abandoning it.
 * The process is gone at most a second after that, whatever it waits for.
 */
export const stopTimeoutSetting = valueSetting<number>({
  flag: 'stop-timeout',
  env: 'IMAGE_LOADER_STOP_TIMEOUT',
  default: 30_000,
  expected: 'a duration, such as 30s (0 abandons work in progress at once)',
  help: 'On SIGTERM, how long work in progress may take to finish; the process exits at most a second later.',
  format: formatDuration,
  parse: duration(0),
});
