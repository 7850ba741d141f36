import { switchSetting, valueSetting } from '../core/config/setting.js';
import { fleetSettings } from '../core/fleet/fleet-settings.js';
import { pruneSettings } from '../core/store/prune-settings.js';

/** `image-loader prune`: the store, the graces, and (fleet mode) the Redis whose prune lock to take. */
export const pruneCommandSettings = {
  store: valueSetting<string | undefined>({
    flag: 'store',
    env: 'IMAGE_LOADER_STORE',
    default: undefined,
    expected: 'a directory path',
    help: 'The store to prune (required).',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  keepReplacedMs: pruneSettings.keepReplacedMs,
  keepDelistedMs: pruneSettings.keepDelistedMs,
  // No default Redis: a store of `fetch` has none. Fleet machines set IMAGE_LOADER_REDIS, and then `prune`
  // waits for a coordinator's prune to end instead of pruning beside it.
  redis: valueSetting<string | undefined>({
    ...fleetSettings.redis,
    default: undefined,
    help: "Fleet mode: take the fleet's prune lock in this Redis, so no coordinator prunes meanwhile.",
  }),
  redisPasswordFile: fleetSettings.redisPasswordFile,
  prefix: fleetSettings.prefix,
  dryRun: switchSetting({
    flag: 'dry-run',
    env: 'IMAGE_LOADER_DRY_RUN',
    help: 'Remove nothing: list what would go and the bytes it would free.',
  }),
  json: switchSetting({ flag: 'json', env: 'IMAGE_LOADER_JSON', help: 'Print the report as one JSON document.' }),
};
