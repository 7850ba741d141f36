import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { EXIT_OK, EXIT_SOME_FAILED } from '../core/errors/exit-codes.js';
import { FleetKeys, ROUNDS_QUEUE } from '../core/fleet/fleet-keys.js';
import { connectRedis } from '../core/fleet/redis-connection.js';
import { RoundLedger } from '../core/fleet/round-ledger.js';
import { formatHumanSummary } from '../core/round/human-summary.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import { roundCommandSettings } from './operator-settings.js';
import type { RoundJobResult } from './round-driver.js';
import { ROUND_JOB_OPTIONS, type RoundJobData } from './round-schedule.js';
import type { OperatorIo } from './status-command.js';

export type RoundCommandConfig = SettingValues<typeof roundCommandSettings>;

export function parseRoundArgs(args: string[], env: NodeJS.ProcessEnv): RoundCommandConfig {
  return parseCommandArgs(roundCommandSettings, args, env).settings;
}

/**
 * `image-loader round`: asks the fleet for a round now (after fixing a list,
 * say). A coordinator takes it at once; if a round is running, another
 * follows as soon as it ends. With --wait, waits for the round and prints
 * its summary; exit 1 if some URLs failed.
 */
export async function runRoundCommand(
  config: RoundCommandConfig,
  io: OperatorIo & { signal: AbortSignal },
): Promise<number> {
  const redis = await connectRedis(config, 'command', 'image-loader-round');
  const rounds = new Queue<RoundJobData, RoundJobResult>(ROUNDS_QUEUE, { connection: redis, prefix: config.prefix });
  rounds.on('error', () => {});
  try {
    const job = await rounds.add('round', { trigger: 'manual' }, ROUND_JOB_OPTIONS);
    io.stderr.write(`round requested (job ${job.id})\n`);
    if ((await rounds.getWorkersCount()) === 0)
      io.stderr.write('warning: no coordinator is running: the round starts when one does\n');
    if (!config.wait) return EXIT_OK;

    const ledger = new RoundLedger(redis, new FleetKeys(config.prefix));
    for (;;) {
      const state = await rounds.getJobState(job.id!);
      if (state === 'completed') {
        const result = (await rounds.getJob(job.id!))?.returnvalue;
        let summary;
        if (result?.outcome === 'skipped') {
          io.stderr.write(`round ${result.roundId} was running; another starts when it ends; waiting for that one\n`);
          summary = await rerunAfter(ledger, result.roundId, io.signal);
        } else {
          summary = (await ledger.history(10)).find((round) => round.roundId === result?.roundId);
        }
        if (summary) io.stdout.write(formatHumanSummary(summary));
        return summary !== undefined && summary.counts.failed > 0 ? EXIT_SOME_FAILED : EXIT_OK;
      }
      if (state === 'failed' || state === 'unknown') {
        io.stderr.write(`the round job ended as ${state}; see the coordinator's log\n`);
        return EXIT_SOME_FAILED;
      }
      await sleep(250, undefined, { signal: io.signal }).catch(() => {});
      if (io.signal.aborted) return EXIT_OK;
    }
  } finally {
    await rounds.close().catch(() => {});
    redis.disconnect();
  }
}

/**
 * The round started for a request that came while `runningRoundId` ran: the
 * first manual round to complete after it (the coordinator starts one as
 * soon as the running round ends). Undefined if stopped first.
 */
async function rerunAfter(
  ledger: RoundLedger,
  runningRoundId: string,
  signal: AbortSignal,
): Promise<RoundSummary | undefined> {
  let runningDone = false;
  while (!signal.aborted) {
    const recent = await ledger.history(10);
    const index = recent.findIndex((round) => round.roundId === runningRoundId);
    if (index >= 0) runningDone = true;
    // Newest first: rounds before the running round's entry completed after it.
    const after = runningDone ? recent.slice(0, index < 0 ? recent.length : index) : [];
    const rerun = after.reverse().find((round) => round.trigger === 'manual');
    if (rerun) return rerun;
    await sleep(250, undefined, { signal }).catch(() => {});
  }
  return undefined;
}
