import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, type Queue, WaitingError } from 'bullmq';
import { ErrorCode } from '../core/errors/error-codes.js';
import { ImageLoaderError } from '../core/errors/image-loader-error.js';
import type { DownloadJobData } from '../core/fleet/download-job-data.js';
import { jobIdForUrl } from '../core/fleet/fleet-keys.js';
import type { FleetMetadata } from '../core/fleet/fleet-metadata.js';
import type { EnqueuedBatch, PendingUrl, RoundLedger } from '../core/fleet/round-ledger.js';
import { fleetRoundSummary, newRoundState, type RoundState } from '../core/fleet/round-state.js';
import { openListSource } from '../core/list/open-list-source.js';
import { readUrlList } from '../core/list/read-url-list.js';
import type { JsonLogger } from '../core/log/json-logger.js';
import { completeRound } from '../core/round/complete-round.js';
import { invalidLineEntry } from '../core/round/invalid-line-entry.js';
import { ListProblemCap } from '../core/round/list-problem-cap.js';
import { newRoundId } from '../core/round/round-id.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import type { Heartbeat } from '../core/store/heartbeat.js';
import type { ImageStore } from '../core/store/image-store.js';
import type { FleetRoundPrune } from './fleet-round-prune.js';
import { ROUND_JOB_OPTIONS, type RoundJobData } from './round-schedule.js';

/** What a round job returns: the round it ran, or the one it found running. */
export type RoundJobResult =
  | { outcome: 'completed'; roundId: string; counts: RoundSummary['counts'] }
  | { outcome: 'skipped'; roundId: string };

export interface RoundDriverParts {
  ledger: RoundLedger;
  metadata: FleetMetadata;
  rounds: Queue<RoundJobData>;
  downloads: Queue<DownloadJobData>;
  list: string;
  everyMs: number;
  store: ImageStore | undefined;
  log: JsonLogger;
  /** Prunes the store after each round (with --store). */
  prune?: FleetRoundPrune | undefined;
  /** How long to wait between checks of a round's progress. */
  pollMs?: number;
  /** How often to look for pending URLs whose job was lost, and enqueue them again. */
  repairEveryMs?: number;
}

/** URLs added to the queue in one addBulk call (and one ledger transaction). */
const BATCH_SIZE = 1000;
/** Attempts BullMQ allows a download job: an upper bound only; the worker's --retries decides when to stop. */
const DOWNLOAD_ATTEMPTS = 21;
/**
 * How often one round enqueues again a URL whose job vanished. A job vanishes when the queue fails it
 * for stalling too often (its workers keep dying on it) or when Redis lost it; past this, the URL is
 * failed as IMG_ERR_WORKER_LOST so that a URL that kills workers cannot keep a round open forever.
 */
const MAX_REQUEUES = 2;
/** Settled download jobs are removed at once: their outcome is in the round's ledger, and a kept job would block its id. */
const DOWNLOAD_JOB_OPTIONS = {
  attempts: DOWNLOAD_ATTEMPTS,
  backoff: { type: 'image-loader' },
  removeOnComplete: true,
  removeOnFail: true,
} as const;

/**
 * Runs one round job: starts a round (or takes over one whose coordinator
 * died, or notes a start skipped because a round is running), enqueues the
 * list in batches, waits until every URL has settled, then publishes the
 * summary: into Redis's history, and into the store with a heartbeat.
 */
export class RoundDriver {
  private readonly pollMs: number;
  private readonly repairEveryMs: number;

  constructor(private readonly parts: RoundDriverParts) {
    this.pollMs = parts.pollMs ?? 250;
    this.repairEveryMs = parts.repairEveryMs ?? 30_000;
  }

  /** The rounds queue's processor. `stop` aborts on shutdown: the round job goes back to the queue for another coordinator. */
  async run(
    job: Job<RoundJobData, RoundJobResult>,
    token: string | undefined,
    stop: AbortSignal,
  ): Promise<RoundJobResult> {
    const { ledger, log } = this.parts;
    const trigger = job.data.trigger;
    let state = await ledger.current();
    if (state !== undefined && state.driverJobId !== job.id && (await this.isDriven(state))) {
      await ledger.noteSkippedStart(state.roundId, trigger === 'manual');
      log.warn('round start skipped: the previous round is still running', {
        roundId: state.roundId,
        trigger,
        rerunQueued: trigger === 'manual',
      });
      await this.writeHeartbeat(state.roundId);
      return { outcome: 'skipped', roundId: state.roundId };
    }
    const takingOver = state !== undefined;
    if (state !== undefined) {
      await ledger.takeOver(state.roundId, job.id!);
      log.warn('taking over a round whose coordinator stopped', {
        roundId: state.roundId,
        enqueuedThroughLine: state.enqueuedThroughLine,
      });
    } else {
      const fresh = newRoundState({
        roundId: newRoundId(),
        list: this.parts.list,
        startedAt: Date.now(),
        trigger,
        coordinator: `${hostname()}/${process.pid}`,
        driverJobId: job.id!,
      });
      if (!(await ledger.begin(fresh))) return await this.run(job, token, stop); // another coordinator started one just now
      state = fresh;
      log.info('round started', { roundId: state.roundId, trigger, list: state.list });
    }
    try {
      if (!state.listRead) await this.enqueue(state, stop);
      // A coordinator that died between recording a batch and adding its jobs left URLs without jobs: look at once.
      return await this.finishWhenSettled(state.roundId, stop, takingOver);
    } catch (error) {
      if (!stop.aborted) throw error;
      // Shutting down mid-round: the round stays in Redis and the job goes back to the queue; whichever
      // coordinator takes it next resumes from the last enqueued batch.
      await job.moveToWait(token);
      log.info('coordinator stopping: round handed back to the queue', { roundId: state.roundId });
      throw new WaitingError();
    }
  }

  /** Whether the round's driving job is still running somewhere (its coordinator alive). */
  private async isDriven(state: RoundState): Promise<boolean> {
    const status = state.driverJobId === '' ? 'unknown' : await this.parts.rounds.getJobState(state.driverJobId);
    return status === 'active';
  }

  private async enqueue(state: RoundState, stop: AbortSignal): Promise<void> {
    const { ledger, log } = this.parts;
    const resumeAfter = state.enqueuedThroughLine;
    const emptyBatch = (throughLine: number): EnqueuedBatch => ({
      pending: [],
      invalid: [],
      duplicates: [],
      throughLine,
      urls,
      invalidLines,
      omitted: { invalidLinesByCode: {}, duplicates: 0 },
    });
    let urls = 0;
    let invalidLines = 0;
    let batch = emptyBatch(resumeAfter);
    let omittedInBatch = 0;
    // The same cap as fetch's: a million garbage lines are counted, and only the first thousand listed.
    // It sees every line, also those before a takeover's resume point, so it lists the same ones.
    const cap = new ListProblemCap();
    const flush = async (): Promise<void> => {
      batch.urls = urls;
      batch.invalidLines = invalidLines;
      await ledger.recordBatch(state.roundId, batch);
      await this.addJobs(state.roundId, batch.pending);
      batch = emptyBatch(batch.throughLine);
      omittedInBatch = 0;
    };
    let listError: { code: string; message: string } | undefined;
    try {
      // The stop signal also ends the wait for a list server that does not answer.
      const source = await openListSource(this.parts.list, undefined, stop);
      try {
        for await (const item of readUrlList(source)) {
          if (stop.aborted) throw new ImageLoaderError(ErrorCode.Aborted, 'coordinator stopping');
          if (item.kind === 'url') urls++;
          if (item.kind === 'invalid') invalidLines++;
          const listed =
            item.kind === 'url' || (item.kind === 'invalid' ? cap.admitInvalid(item.code) : cap.admitDuplicate());
          // Lines up to the resume point were enqueued by the coordinator that started the round.
          if (item.line <= resumeAfter) continue;
          if (item.kind === 'url') batch.pending.push({ jobId: jobIdForUrl(item.url), url: item.url, line: item.line });
          else if (!listed) {
            omittedInBatch++;
            if (item.kind === 'invalid')
              batch.omitted.invalidLinesByCode[item.code] = (batch.omitted.invalidLinesByCode[item.code] ?? 0) + 1;
            else batch.omitted.duplicates++;
          } else if (item.kind === 'invalid') {
            batch.invalid.push(invalidLineEntry(item));
          } else batch.duplicates.push({ url: item.url, line: item.line, firstLine: item.firstLine });
          batch.throughLine = item.line;
          // Omitted lines count too: the resume point must move past them, or a takeover would count them twice.
          if (batch.pending.length + batch.invalid.length + batch.duplicates.length + omittedInBatch >= BATCH_SIZE)
            await flush();
        }
      } finally {
        await source.close();
      }
    } catch (error) {
      // Stopped while reading: the round is handed back, not recorded with a list it could not read.
      if (stop.aborted) throw new ImageLoaderError(ErrorCode.Aborted, 'coordinator stopping', { cause: error });
      if (!(error instanceof ImageLoaderError) || error.code === ErrorCode.Aborted) throw error;
      // An unreadable list fails this round's reading, not the coordinator: what was read is downloaded,
      // the summary says what went wrong, and the next interval tries again.
      listError = { code: error.code, message: error.message };
      log.error('cannot read the URL list', { roundId: state.roundId, list: this.parts.list, error: listError });
    }
    await flush();
    await ledger.markListRead(state.roundId, listError);
    log.info('round enqueued', { roundId: state.roundId, urls, invalidLines });
  }

  private async addJobs(roundId: string, pending: PendingUrl[]): Promise<void> {
    if (pending.length === 0) return;
    // Jobs with the id of a job still waiting or running (from an earlier, abandoned round) are ignored by
    // BullMQ: that job settles the URL in this round instead, so a URL is never downloaded twice at once.
    await this.parts.downloads.addBulk(
      pending.map((item) => ({
        name: 'download',
        data: { url: item.url, roundId },
        opts: { ...DOWNLOAD_JOB_OPTIONS, jobId: item.jobId },
      })),
    );
  }

  private async finishWhenSettled(roundId: string, stop: AbortSignal, repairFirst: boolean): Promise<RoundJobResult> {
    const { ledger, log } = this.parts;
    let lastRepair = repairFirst ? 0 : Date.now();
    let lastProgress = Date.now();
    const requeued = new Map<string, number>();
    for (;;) {
      if (stop.aborted) throw new ImageLoaderError(ErrorCode.Aborted, 'coordinator stopping');
      const pending = await ledger.pendingCount(roundId);
      if (pending === 0) break;
      if (Date.now() - lastRepair >= this.repairEveryMs) {
        lastRepair = Date.now();
        await this.repair(roundId, requeued);
      }
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        log.info('round in progress', { roundId, pending });
      }
      await sleep(this.pollMs, undefined, { signal: stop }).catch(() => {});
    }
    return await this.finish(roundId);
  }

  /** Enqueues again the pending URLs whose job is gone; fails those it already did MAX_REQUEUES times. */
  private async repair(roundId: string, requeued: Map<string, number>): Promise<void> {
    const { ledger, log } = this.parts;
    const again: PendingUrl[] = [];
    for (const item of await ledger.missingJobs(roundId)) {
      const times = (requeued.get(item.jobId) ?? 0) + 1;
      requeued.set(item.jobId, times);
      if (times <= MAX_REQUEUES) {
        again.push(item);
        continue;
      }
      const error = {
        code: ErrorCode.WorkerLost,
        message: `its job vanished ${times} times (workers died on it, or Redis lost it)`,
      };
      await ledger.settle(item.jobId, { url: item.url, status: 'failed', error }, 0);
      log.error('url failed', { roundId, url: item.url, jobId: item.jobId, error });
    }
    if (again.length > 0) {
      log.warn('enqueuing again URLs whose jobs were lost', { roundId, count: again.length });
      await this.addJobs(roundId, again);
    }
  }

  private async finish(roundId: string): Promise<RoundJobResult> {
    const { ledger, log, store, rounds } = this.parts;
    const state = await ledger.read(roundId);
    if (state === undefined) throw new Error(`round ${roundId} vanished from Redis`);
    let summary = fleetRoundSummary(
      state,
      await ledger.entries(roundId),
      await ledger.duplicates(roundId),
      Date.now(),
      await ledger.omitted(roundId),
    );
    // Before the summary is published: it reports what pruning removed and the store's size.
    if (this.parts.prune) summary = await this.parts.prune.afterRound(summary, state.listError === undefined);
    if (store) {
      // Before the round is marked finished in Redis: a crash in between only means it is written again on takeover.
      await completeRound(store, summary).catch((error: NodeJS.ErrnoException) => {
        log.error('cannot write the round summary into the store', {
          roundId,
          file: store.layout.lastRoundFile,
          error,
        });
      });
    }
    if (!(await ledger.finish(roundId, summary))) return { outcome: 'completed', roundId, counts: summary.counts };
    await this.writeHeartbeat(undefined, summary);
    if (state.listError === undefined) {
      const keep = new Set(summary.entries.map((entry) => jobIdForUrl(entry.url)));
      const forgotten = await this.parts.metadata.prune(keep);
      if (forgotten > 0) log.info('forgot the metadata of URLs no longer listed', { roundId, count: forgotten });
    }
    const { entries: _entries, duplicates: _duplicates, ...overview } = summary;
    log.info('round completed', overview);
    if (state.rerunRequested) await rounds.add('round', { trigger: 'manual' }, ROUND_JOB_OPTIONS);
    return { outcome: 'completed', roundId, counts: summary.counts };
  }

  private async writeHeartbeat(roundInProgress: string | undefined, finished?: RoundSummary): Promise<void> {
    const { store, ledger, log } = this.parts;
    if (!store) return;
    let last = finished;
    if (last === undefined) [last] = await ledger.history(1);
    const heartbeat: Heartbeat = {
      schema: 'image-loader/heartbeat@1',
      at: new Date().toISOString(),
      everyMs: this.parts.everyMs,
      ...(last === undefined ? {} : { lastRoundId: last.roundId, lastRoundFinishedAt: last.finishedAt }),
      ...(roundInProgress === undefined ? {} : { roundInProgress }),
    };
    await store
      .writeFileAtomic(store.layout.heartbeatFile, JSON.stringify(heartbeat))
      .catch((error: NodeJS.ErrnoException) => {
        log.error('cannot write the heartbeat into the store', { file: store.layout.heartbeatFile, error });
      });
  }
}
