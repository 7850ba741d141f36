import { Counter, Gauge, type Registry } from 'prom-client';
import type { RoundSummary } from '../round/round-summary.js';
import { type RoundOutcomes, roundOutcomes, roundResult, storeSize } from './round-outcomes.js';

const OUTCOMES: (keyof RoundOutcomes)[] = ['stored', 'unchanged', 'fresh', 'failed'];

/**
 * The round metrics, shared by the dashboard (the fleet's rounds, read from
 * Redis) and `fetch --every` (its own rounds): one place names them. The
 * `last_round_*` gauges describe the newest complete round. Labels are
 * bounded: `result` (complete, aborted), `outcome` (stored, unchanged,
 * fresh, failed), `code` (IMG_ERR_* codes).
 */
export class RoundMetrics {
  readonly rounds: Counter<'result'>;
  readonly completedAt: Gauge;
  readonly duration: Gauge;
  readonly urls: Gauge<'outcome'>;
  readonly failures: Gauge<'code'>;
  private readonly storeBytes: Gauge;
  private readonly storeFiles: Gauge;
  private storeRegistered = false;

  constructor(
    private readonly registry: Registry,
    private readonly options: { storeSize: boolean } = { storeSize: true },
  ) {
    const registers = [registry];
    this.rounds = new Counter({
      name: 'image_loader_rounds_total',
      help: 'Rounds finished, by result: complete, or aborted (stopped, or the list unreadable).',
      labelNames: ['result'] as const,
      registers,
    });
    this.completedAt = new Gauge({
      name: 'image_loader_last_round_completed_timestamp_seconds',
      help: 'When the newest complete round finished (Unix time).',
      registers,
    });
    this.duration = new Gauge({
      name: 'image_loader_last_round_duration_seconds',
      help: 'How long the newest complete round took.',
      registers,
    });
    this.urls = new Gauge({
      name: 'image_loader_last_round_urls',
      help: 'URLs of the newest complete round, by outcome: stored, unchanged, fresh (not asked), failed.',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.failures = new Gauge({
      name: 'image_loader_last_round_failures',
      help: 'Failed URLs of the newest complete round, by IMG_ERR_* code.',
      labelNames: ['code'] as const,
      registers,
    });
    // Registered once a summary reports the store's size: a 0 would read as an empty store.
    this.storeBytes = new Gauge({
      name: 'image_loader_store_bytes',
      help: 'Bytes of images in the store, as the newest complete round measured.',
      registers: [],
    });
    this.storeFiles = new Gauge({
      name: 'image_loader_store_files',
      help: 'Image files in the store, as the newest complete round measured.',
      registers: [],
    });
    for (const result of ['complete', 'aborted']) this.rounds.inc({ result }, 0);
  }

  /** Counts a finished round; a complete one becomes the `last_round_*` values. */
  observeRound(summary: RoundSummary): void {
    const result = roundResult(summary);
    this.rounds.inc({ result });
    if (result === 'complete') this.showLastRound(summary);
  }

  /** Sets the `last_round_*` gauges (and the store's size, when reported) from a complete round. */
  showLastRound(summary: RoundSummary): void {
    this.completedAt.set(Date.parse(summary.finishedAt) / 1000);
    this.duration.set(summary.durationMs / 1000);
    const outcomes = roundOutcomes(summary);
    for (const outcome of OUTCOMES) this.urls.set({ outcome }, outcomes[outcome]);
    this.failures.reset();
    for (const [code, count] of Object.entries(summary.failuresByCode)) this.failures.set({ code }, count);
    const size = this.options.storeSize ? storeSize(summary) : undefined;
    if (size === undefined) return;
    if (!this.storeRegistered) {
      this.registry.registerMetric(this.storeBytes);
      this.registry.registerMetric(this.storeFiles);
      this.storeRegistered = true;
    }
    this.storeBytes.set(size.bytes);
    this.storeFiles.set(size.files);
  }
}
