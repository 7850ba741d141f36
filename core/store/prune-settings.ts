import { integer } from '../config/download-settings.js';
import { parseDuration } from '../config/parse-duration.js';
import { valueSetting } from '../config/setting.js';

/** `forever` as a duration: nothing is ever old enough. */
export const FOREVER = Number.POSITIVE_INFINITY;

function graceDuration(text: string): number | undefined {
  if (text.trim().toLowerCase() === 'forever') return FOREVER;
  // A bare number is seconds, as everywhere else; 0 is allowed here (no grace).
  return parseDuration(text, 's');
}

/**
 * How long the store keeps what the list no longer names. Shared by `fetch`,
 * `coordinator` and `prune`, so each has one flag, one variable and one default.
 */
export const pruneSettings = {
  /**
   * 15 minutes: three default round intervals (5m), so a replaced version outlives the round that replaced it
   * and the next two. A web node over NFS keeps reading a file it opened only while the server-side inode lives;
   * the blob keeps it alive for this long after the human name moved on. That covers an NFS client's attribute
   * and lookup caches (60 s at most by default, actimeo), which may hand a new request the old inode for that long,
   * and any response the web node serves (its send timeouts are far below a minute), many times over.
   */
  keepReplacedMs: valueSetting<number>({
    flag: 'keep-replaced',
    env: 'IMAGE_LOADER_KEEP_REPLACED',
    default: 15 * 60_000,
    expected: 'a duration such as 15m, 900 (seconds) or 0 (no grace), or forever',
    help: 'Remove a replaced version once it has been unreferenced this long (0: no grace).',
    parse: graceDuration,
  }),
  /**
   * 1 day: a line removed by mistake (or a generated list missing a URL for a few rounds) is put back without
   * downloading anything again, while the disk still follows the list within a day.
   */
  keepDelistedMs: valueSetting<number>({
    flag: 'keep-delisted',
    env: 'IMAGE_LOADER_KEEP_DELISTED',
    default: 86_400_000,
    expected: 'a duration such as 1d, 6h, 0, or forever (keep delisted images)',
    help: 'Remove the image of a URL absent from the list for this long, counted in complete rounds (forever: never).',
    parse: graceDuration,
  }),
  maxDelistPercent: valueSetting<number>({
    flag: 'max-delist',
    env: 'IMAGE_LOADER_MAX_DELIST',
    default: 50,
    expected: 'a percentage from 0 to 100',
    help: 'A round that would remove more than this share of the stored URLs removes nothing and says so.',
    parse: (text) => integer(0, 100)(text.trim().replace(/%$/, '')),
  }),
};
