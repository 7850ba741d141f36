import { setTimeout as sleep } from 'node:timers/promises';
import { formatBytes } from '../core/config/format-bytes.js';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { ErrorCode } from '../core/errors/error-codes.js';
import { EXIT_OK, EXIT_SOME_FAILED } from '../core/errors/exit-codes.js';
import { ImageLoaderError } from '../core/errors/image-loader-error.js';
import { FleetKeys } from '../core/fleet/fleet-keys.js';
import { PruneLock } from '../core/fleet/prune-lock.js';
import { connectRedis } from '../core/fleet/redis-connection.js';
import { ImageStore } from '../core/store/image-store.js';
import { MetadataIndex } from '../core/store/metadata-index.js';
import { type PruneReport, pruneStore } from '../core/store/prune-store.js';
import { pruneCommandSettings } from './prune-command-settings.js';

export type PruneConfig = SettingValues<typeof pruneCommandSettings> & { store: string };

/** How long `prune` waits for a coordinator's prune to end before giving up. */
const LOCK_WAIT_MS = 60_000;

export function parsePruneArgs(args: string[], env: NodeJS.ProcessEnv): PruneConfig {
  const config = parseCommandArgs(pruneCommandSettings, args, env).settings;
  if (config.store === undefined)
    throw new ImageLoaderError(ErrorCode.InvalidConfig, 'prune needs --store DIR (or IMAGE_LOADER_STORE)');
  return { ...config, store: config.store };
}

/**
 * `image-loader prune --store DIR`: the same removal as after a round, run by hand. It has no list: it goes by
 * the absences the last complete rounds recorded, and by link counts. No --max-delist here: running it is the
 * operator's decision (after a round held back by the cap, this is how to let it through; --dry-run shows what
 * would go). Exit 0 done, 1 another prune held the lock for a minute, 2 usage error or unusable store.
 */
export async function runPrune(
  config: PruneConfig,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal },
): Promise<number> {
  const { store } = await ImageStore.open(config.store, { keepTempFiles: true });
  const redis =
    config.redis === undefined
      ? undefined
      : await connectRedis({ ...config, redis: config.redis }, 'command', 'image-loader-prune');
  try {
    const lock = redis === undefined ? undefined : new PruneLock(redis, new FleetKeys(config.prefix));
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (lock !== undefined && !(await lock.tryAcquire())) {
      if (Date.now() >= deadline || io.signal.aborted) {
        io.stderr.write(
          `image-loader: another prune holds the lock (${(await lock.holder()) ?? 'gone'}); try again later\n`,
        );
        return EXIT_SOME_FAILED;
      }
      await sleep(500);
    }
    try {
      const report = await pruneStore(store, {
        keepReplacedMs: config.keepReplacedMs,
        keepDelistedMs: config.keepDelistedMs,
        maxDelistPercent: 100,
        dryRun: config.dryRun,
        signal: io.signal,
      });
      if (!config.dryRun && report.delistedPaths.length > 0) await forgetMetadata(store, report.delistedPaths);
      io.stdout.write(config.json ? `${JSON.stringify(pruneDocument(report))}\n` : formatPruneReport(report));
      return EXIT_OK;
    } finally {
      await lock?.release();
    }
  } finally {
    redis?.disconnect();
  }
}

/** `fetch`'s metadata index (absent in fleet mode) forgets the delisted names removed. */
async function forgetMetadata(store: ImageStore, paths: string[]): Promise<void> {
  const { index } = await MetadataIndex.load(store);
  if (index.forgetPaths(paths) > 0) await index.save();
}

function pruneDocument(report: PruneReport): object {
  const { delistedPaths: _delisted, ...rest } = report;
  return { schema: 'image-loader/prune@1', ...rest };
}

function formatPruneReport(report: PruneReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines = report.removed.map((path) => `${verb} ${path}`);
  lines.push(
    `${report.dryRun ? 'Dry run: would remove' : 'Removed'} ${report.removedFiles} file(s), ` +
      `${formatBytes(report.removedBytes)} ${report.dryRun ? 'would be freed' : 'freed'}.`,
    `Store size: ${report.store.liveFiles} image(s), ${formatBytes(report.store.liveBytes)} live; ` +
      `${report.store.graceFiles} unreferenced version(s), ${formatBytes(report.store.graceBytes)} kept for their grace.`,
  );
  return `${lines.join('\n')}\n`;
}
