import { readFile, stat } from 'node:fs/promises';
import type { JsonLogger } from '../core/log/json-logger.js';
import { settlesWithin } from '../core/service/close-all.js';
import { parseHeartbeat } from '../core/store/heartbeat.js';
import type { StoreLayout } from '../core/store/store-layout.js';
import { type HealthVerdict, judgeHealth, type StoreObservation } from './health-state.js';

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
 * must turn /healthz to 503 within a second, and the look itself
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
 *
 * It logs one line when the verdict's state changes (healthy, missing,
 * unreadable, …), never one per look: a store that stays away for hours
 * while load balancers ask /healthz every second must not fill the journal.
 */
export class StoreProbe {
  private observation: StoreObservation | undefined;
  private running: Promise<void> | undefined;
  private startedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The state last logged (with its error code), so a change is logged once. */
  private logged: string | undefined;

  constructor(
    private readonly layout: StoreLayout,
    private readonly options: StoreProbeOptions,
    private readonly log: JsonLogger,
  ) {}

  start(): void {
    void this.probe();
    this.timer = setInterval(() => {
      void this.probe();
      // A look that never comes back reports nothing itself: the tick notices that it has been waiting too long.
      this.judge();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The verdict now; waits up to `waitMs` for a fresh look when the last one is older than `REUSE_LOOK_MS`. */
  async verdict(waitMs: number): Promise<HealthVerdict> {
    if (this.observation === undefined || Date.now() - this.observation.at > REUSE_LOOK_MS) {
      await settlesWithin(this.probe(), waitMs);
    }
    return this.judge();
  }

  private judge(): HealthVerdict {
    const verdict = judgeHealth({
      observation: this.observation,
      probeStartedAt: this.startedAt,
      now: Date.now(),
      probeTimeoutMs: this.options.timeoutMs,
      staleFactor: this.options.staleFactor,
      defaultEveryMs: this.options.defaultEveryMs,
    });
    const key = `${verdict.state} ${verdict.errorCode ?? ''}`;
    if (verdict.state !== 'not-checked' && key !== this.logged) {
      this.logged = key;
      const fields = {
        store: this.layout.root,
        state: verdict.state,
        reason: verdict.reason,
        ...(verdict.errorCode === undefined ? {} : { errorCode: verdict.errorCode }),
      };
      if (verdict.healthy) this.log.info('store healthy', fields);
      else this.log.warn('store unhealthy', fields);
    }
    return verdict;
  }

  private probe(): Promise<void> {
    this.running ??= this.look().finally(() => {
      this.running = undefined;
      this.startedAt = undefined;
      this.judge();
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
      if (errorCode(error) !== 'ENOENT') return unreadable(error, at());
    }
    try {
      const summary = JSON.parse(await readFile(this.layout.lastRoundFile, 'utf8')) as { finishedAt?: unknown };
      if (typeof summary.finishedAt === 'string' && !Number.isNaN(Date.parse(summary.finishedAt)))
        return { kind: 'last-round', finishedAt: summary.finishedAt, at: at() };
      return { kind: 'unreadable', code: 'last-round.json has no finishedAt', at: at() };
    } catch (error) {
      if (error instanceof SyntaxError) return { kind: 'unreadable', code: 'last-round.json is not JSON', at: at() };
      if (errorCode(error) !== 'ENOENT') return unreadable(error, at());
    }
    // Neither status file: tell "the store is not there at all" (an unmounted or moved-away store) from "it has no status yet".
    try {
      await stat(this.layout.root);
      return { kind: 'missing', what: 'status', path: this.layout.internalDir, at: at() };
    } catch (error) {
      const code = errorCode(error);
      return code === 'ENOENT' || code === 'ENOTDIR'
        ? { kind: 'missing', what: 'store', path: this.layout.root, at: at() }
        : unreadable(error, at());
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** A failed read as an observation. The system's words name the call and the path: "EACCES: permission denied, open '/srv/images/.image-loader/heartbeat.json'". */
function unreadable(error: unknown, at: number): StoreObservation {
  return {
    kind: 'unreadable',
    code: errorCode(error) ?? 'error',
    message: String((error as Error | undefined)?.message ?? error),
    at,
  };
}
