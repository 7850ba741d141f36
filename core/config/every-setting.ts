import { duration } from './download-settings.js';
import { formatDuration } from './format-duration.js';
import { type Setting, valueSetting } from './setting.js';

/**
 * The round interval (`--every`, `IMAGE_LOADER_EVERY`), shared by `fetch`,
 * `coordinator` and `web` so that flag, variable and validation are one. The
 * meaning differs per command (`fetch` repeats its own rounds and runs once
 * without it; the coordinator schedules the fleet's; a web node judges
 * staleness by it), so each command states its own default and help.
 */
export function everySetting<T extends number | undefined>(spec: {
  default: T;
  help: string;
  /** For a default that is not an interval, such as "none: one round, then exit". */
  defaultText?: string;
}): Setting<T> {
  return valueSetting<T>({
    flag: 'every',
    env: 'IMAGE_LOADER_EVERY',
    expected: 'a duration of at least 1s, such as 5m, 300 (seconds) or 1h',
    format: formatDuration,
    // A parsed interval is a number, which is every T this setting is declared with.
    parse: duration(1000) as (text: string) => T | undefined,
    ...spec,
  });
}
