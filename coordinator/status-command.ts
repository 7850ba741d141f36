import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { EXIT_OK, EXIT_SOME_FAILED } from '../core/errors/exit-codes.js';
import { FleetKeys } from '../core/fleet/fleet-keys.js';
import { connectRedis } from '../core/fleet/redis-connection.js';
import { RoundLedger } from '../core/fleet/round-ledger.js';
import { formatHumanSummary } from '../core/round/human-summary.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import { statusCommandSettings } from './operator-settings.js';
import { formatRoundProgress, type RoundProgress, readRoundProgress } from './round-progress.js';

export type StatusConfig = SettingValues<typeof statusCommandSettings>;

export interface OperatorIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function parseStatusArgs(args: string[], env: NodeJS.ProcessEnv): StatusConfig {
  return parseCommandArgs(statusCommandSettings, args, env).settings;
}

/**
 * `image-loader status`: the last completed round and the one in progress.
 * Exit 0 when the last round had no failure (or there was none yet), 1 when
 * it had some, 2 when Redis cannot be reached.
 */
export async function runStatus(config: StatusConfig, io: OperatorIo): Promise<number> {
  const redis = await connectRedis(config, 'command', 'image-loader-status');
  try {
    const ledger = new RoundLedger(redis, new FleetKeys(config.prefix));
    const progress = await readRoundProgress(ledger);
    const last = await ledger.lastRound();
    if (config.json) {
      io.stdout.write(`${JSON.stringify(statusDocument(last, progress))}\n`);
    } else {
      if (progress) io.stdout.write(formatRoundProgress(progress, Date.now()));
      else io.stdout.write('No round in progress.\n');
      if (last)
        io.stdout.write(
          `Last completed round: ${last.roundId} (${last.trigger ?? 'schedule'}), ${last.startedAt} to ${last.finishedAt}\n${formatHumanSummary(last)}`,
        );
      else io.stdout.write('No round has completed yet.\n');
    }
    return last !== undefined && last.counts.failed > 0 ? EXIT_SOME_FAILED : EXIT_OK;
  } finally {
    redis.disconnect();
  }
}

/** `status --json`: the same shape as `fetch --json` (the last completed round), plus `inProgress`; `{}` before any round. */
function statusDocument(last: RoundSummary | undefined, progress: RoundProgress | undefined): object {
  return { ...(last ?? {}), ...(progress === undefined ? {} : { inProgress: progress }) };
}
