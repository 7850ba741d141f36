import { switchSetting } from '../core/config/setting.js';
import { fleetSettings } from '../core/fleet/fleet-settings.js';

/** `image-loader round` and `image-loader status`: the fleet's Redis, plus their own switches. */
export const roundCommandSettings = {
  redis: fleetSettings.redis,
  redisPasswordFile: fleetSettings.redisPasswordFile,
  prefix: fleetSettings.prefix,
  wait: switchSetting({
    flag: 'wait',
    env: 'IMAGE_LOADER_WAIT',
    help: 'Wait until the round has completed, then print its summary.',
  }),
};

export const statusCommandSettings = {
  redis: fleetSettings.redis,
  redisPasswordFile: fleetSettings.redisPasswordFile,
  prefix: fleetSettings.prefix,
  json: switchSetting({
    flag: 'json',
    env: 'IMAGE_LOADER_JSON',
    help: 'Print the last completed round as fetch --json does, with the round in progress as "inProgress".',
  }),
};
