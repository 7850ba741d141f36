import { readFile } from 'node:fs/promises';
import { parseHeartbeat } from '../core/store/heartbeat.js';
import type { StoreLayout } from '../core/store/store-layout.js';
import { judgeHealth, type HealthVerdict, type StoreObservation } from './health-state.js';

export interface StoreProbeOptions {
  /** How often the store is looked at in the background. */
  intervalMs: number;
  /** A look longer than this means the store does not respond. */
  timeoutMs: number;
  staleFactor: number;
  defaultEveryMs: number;
}

/**
 * How long /healthz may answer from an earlier look: a store that vanishes
 * must turn /healthz to 503 within a second (issue 5), and the look itself
 * plus the request take some of that second; one read per half second at
 * most, however often /healthz is asked.
 */
const REUSE_LOOK_MS = 500;

/**
 * Looks at the store's heartbeat in the background, one read at a time, so
 * that /healthz answers from memory at once, whatever the file system does.
 * A hung NFS mount blocks a read (and the libuv thread running it) forever:
 * the probe then never returns, no second one is started to pile up behind
 * it, and the verdict turns to "not responding" once it has waited too long.
 */
export class StoreProbe {
  private observation: StoreObservation | undefined;
  private running: Promise<void> | undefined;
  private startedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly layout: StoreLayout,
    private readonly options: StoreProbeOptions,
  ) {}

  start(): void {
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The verdict now; waits up to `waitMs` for a fresh look when the last one is older than `REUSE_LOOK_MS`. */
  async verdict(waitMs: number): Promise<HealthVerdict> {
    if (this.observation === undefined || Date.now() - this.observation.at > REUSE_LOOK_MS) {
      const look = this.probe();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([look, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    return judgeHealth({
      observation: this.observation,
      probeStartedAt: this.startedAt,
      now: Date.now(),
      probeTimeoutMs: this.options.timeoutMs,
      staleFactor: this.options.staleFactor,
      defaultEveryMs: this.options.defaultEveryMs,
    });
  }

  private probe(): Promise<void> {
    this.running ??= this.look().finally(() => {
      this.running = undefined;
      this.startedAt = undefined;
    });
    return this.running;
  }

  private async look(): Promise<void> {
    this.startedAt = Date.now();
    this.observation = await this.observe();
  }

  private async observe(): Promise<StoreObservation> {
    const at = (): number => Date.now();
    try {
      const heartbeat = parseHeartbeat(await readFile(this.layout.heartbeatFile, 'utf8'));
      if (heartbeat) return { kind: 'heartbeat', heartbeat, at: at() };
      return { kind: 'unreadable', code: 'heartbeat.json is not a heartbeat', at: at() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'ENOENT') return { kind: 'unreadable', code, at: at() };
    }
    try {
      const summary = JSON.parse(await readFile(this.layout.lastRoundFile, 'utf8')) as { finishedAt?: unknown };
      if (typeof summary.finishedAt === 'string' && !Number.isNaN(Date.parse(summary.finishedAt))) return { kind: 'last-round', finishedAt: summary.finishedAt, at: at() };
      return { kind: 'unreadable', code: 'last-round.json has no finishedAt', at: at() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'not JSON';
      return code === 'ENOENT' ? { kind: 'missing', at: at() } : { kind: 'unreadable', code, at: at() };
    }
  }
}
