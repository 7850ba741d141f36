import type { Queue } from 'bullmq';
import { Gauge, Registry } from 'prom-client';
import type { RoundLedger } from '../../core/fleet/round-ledger.js';
import { collectProcessMetrics } from '../../core/metrics/default-metrics.js';
import { RoundMetrics } from '../../core/metrics/round-metrics.js';
import { roundResult } from '../../core/metrics/round-outcomes.js';
import type { RoundSummary } from '../../core/round/round-summary.js';

/** Rounds of the history read per scrape: all that Redis keeps. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface FleetMetricsSources {
  ledger: RoundLedger;
  /** The downloads queue: its job counts and the workers it sees. */
  downloads: Queue;
  redisReady: () => boolean;
  /** Longest wait for Redis per scrape; past it the scrape answers with the last known values. */
  timeoutMs: number;
}

/**
 * The fleet's metrics, exported by the dashboard at /metrics: its rounds
 * (from the round history in Redis), the download queue and its workers.
 * Read from Redis at each scrape; when Redis is down or slow the scrape
 * still answers, with the last values read and `image_loader_redis_up 0`.
 */
export class FleetMetrics {
  readonly registry = new Registry();
  private readonly rounds = new RoundMetrics(this.registry);
  private readonly queueJobs = new Gauge({
    name: 'image_loader_queue_jobs',
    help: 'Download jobs in the queue, by state: waiting, active, delayed, failed.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly workers = new Gauge({
    name: 'image_loader_workers',
    help: 'Live workers connected to the download queue.',
    registers: [this.registry],
  });
  private readonly redisUp = new Gauge({
    name: 'image_loader_redis_up',
    help: '1 when the last scrape read the fleet state from Redis, 0 when Redis was unreachable (other values are the last known).',
    registers: [this.registry],
  });
  /** Round ids of the history as last read: a round not among them is new, and counted once. */
  private seenRounds = new Set<string>();
  private shownRound: string | undefined;
  /** The newest round id when the history was last read: a scrape reads the history only when it changed. */
  private lastReadRound: string | undefined;

  constructor(private readonly sources: FleetMetricsSources) {
    collectProcessMetrics(this.registry);
  }

  /** The exposition text, after reading the fleet's state (never throws for Redis). */
  async scrape(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  async refresh(): Promise<void> {
    if (!this.sources.redisReady()) {
      this.redisUp.set(0);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('Redis did not answer in time')), this.sources.timeoutMs);
    });
    try {
      const [history, counts, workers] = await Promise.race([
        Promise.all([
          this.newHistory(),
          this.sources.downloads.getJobCounts(...QUEUE_STATES),
          this.sources.downloads.getWorkersCount(),
        ]),
        timeout,
      ]);
      if (history !== undefined) this.showHistory(history);
      for (const state of QUEUE_STATES) this.queueJobs.set({ state }, counts[state] ?? 0);
      this.workers.set(workers);
      this.redisUp.set(1);
    } catch {
      this.redisUp.set(0);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The history, newest first, when a round has finished since it was last read (undefined otherwise). */
  private async newHistory(): Promise<RoundSummary[] | undefined> {
    const lastId = await this.sources.ledger.lastRoundId();
    if (lastId === this.lastReadRound) return undefined;
    const history = await this.sources.ledger.history();
    this.lastReadRound = lastId;
    return history;
  }

  /** `history` newest first. */
  private showHistory(history: RoundSummary[]): void {
    for (const summary of [...history].reverse()) {
      if (!this.seenRounds.has(summary.roundId)) this.rounds.rounds.inc({ result: roundResult(summary) });
    }
    this.seenRounds = new Set(history.map((summary) => summary.roundId));
    const last = history.find((summary) => roundResult(summary) === 'complete');
    if (last !== undefined && last.roundId !== this.shownRound) {
      this.rounds.showLastRound(last);
      this.shownRound = last.roundId;
    }
  }
}
