import type { Redis } from 'ioredis';
import type { DuplicateEntry, OmittedListProblems, RoundSummary, UrlEntry } from '../round/round-summary.js';
import type { FleetKeys } from './fleet-keys.js';
import { RedisScript } from './redis-script.js';
import {
  decodeSettledEntry,
  encodeSettledEntry,
  historySummary,
  parseRoundState,
  type RoundState,
  roundStateFields,
} from './round-state.js';

/** A URL of the round whose job has not settled yet. */
export interface PendingUrl {
  jobId: string;
  url: string;
  line: number;
}

/** One batch of list lines, recorded at once so that a takeover resumes after the last whole batch. */
export interface EnqueuedBatch {
  pending: PendingUrl[];
  /** Invalid lines, already settled as failed entries. */
  invalid: UrlEntry[];
  duplicates: DuplicateEntry[];
  throughLine: number;
  urls: number;
  invalidLines: number;
  /** Invalid lines (by code) and duplicates of this batch past the round's listing cap: counted, not listed. */
  omitted: OmittedListProblems;
}

const ROUND_KEY_SUFFIXES = ['', ':pending', ':entries', ':entries-ordered', ':duplicates', ':failures', ':omitted'];
/** Entries written back in one RPUSH when a round's entries are put in list order. */
const ORDERED_CHUNK = 1000;
/** Rounds kept in the history list (the dashboard's chart and round table show them all). */
const HISTORY_LENGTH = 100;

// Starts a round only if none is in progress: the current-round key is the lock that keeps rounds from overlapping.
const beginScript = new RedisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('HSET', KEYS[2], unpack(ARGV, 2))
  return 1
end
return 0`);

// A worker settles a URL in whatever round is current and still waits for it. A job settled twice (a
// worker died after settling, before completing) or left over from an abandoned round counts once or not at all.
const settleScript = new RedisScript(`
local roundId = redis.call('GET', KEYS[1])
if not roundId then return false end
local base = ARGV[1] .. roundId
local pending = redis.call('HGET', base .. ':pending', ARGV[2])
if not pending then return false end
redis.call('HDEL', base .. ':pending', ARGV[2])
local line = string.match(pending, '^(%d+)')
redis.call('RPUSH', base .. ':entries', line .. '\\t' .. ARGV[3])
redis.call('HINCRBY', base, ARGV[4], 1)
redis.call('HINCRBY', base, 'bytesTransferred', ARGV[5])
if ARGV[6] ~= '' then redis.call('HINCRBY', base .. ':failures', ARGV[6], 1) end
return roundId`);

// Ends a round once: into the history, becomes the last round, frees the lock; its entries, written again in
// list order beside the settled ones, replace them; the round before it is deleted (the last one's entries stay,
// for status --json).
const finishScript = new RedisScript(`
local base = ARGV[4] .. ARGV[1]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  redis.call('DEL', base .. ':entries-ordered')
  return 0
end
local previous = redis.call('GET', KEYS[2])
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[3]) - 1)
redis.call('SET', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('DEL', base .. ':pending')
if redis.call('EXISTS', base .. ':entries-ordered') == 1 then
  redis.call('RENAME', base .. ':entries-ordered', base .. ':entries')
else
  redis.call('DEL', base .. ':entries')
end
if previous and previous ~= ARGV[1] then
  for i = 5, #ARGV do redis.call('DEL', ARGV[4] .. previous .. ARGV[i]) end
end
return 1`);

/**
 * The rounds' bookkeeping in Redis, shared by the coordinator (which starts,
 * enqueues and finishes rounds), the workers (which settle URLs) and
 * `status`. A round is complete when its list has been read and no URL is
 * pending; everything lives in Redis so that any coordinator can take over.
 */
export class RoundLedger {
  private readonly roundPrefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FleetKeys,
  ) {
    this.roundPrefix = keys.round('');
  }

  async current(): Promise<RoundState | undefined> {
    const roundId = await this.redis.get(this.keys.currentRound);
    return roundId === null ? undefined : this.read(roundId);
  }

  async read(roundId: string): Promise<RoundState | undefined> {
    return parseRoundState(await this.redis.hgetall(this.keys.round(roundId)));
  }

  /** Starts `state` unless a round is in progress; false when one is. */
  async begin(state: RoundState): Promise<boolean> {
    const fields = Object.entries(roundStateFields(state)).flat();
    return (
      (await beginScript.run(
        this.redis,
        [this.keys.currentRound, this.keys.round(state.roundId)],
        [state.roundId, ...fields],
      )) === 1
    );
  }

  async takeOver(roundId: string, driverJobId: string): Promise<void> {
    await this.redis.hset(this.keys.round(roundId), 'driverJobId', driverJobId);
  }

  /** A start came while `roundId` ran; a manual one asks for another round right after. */
  async noteSkippedStart(roundId: string, rerun: boolean): Promise<void> {
    const multi = this.redis.multi().hincrby(this.keys.round(roundId), 'skippedStarts', 1);
    if (rerun) multi.hset(this.keys.round(roundId), 'rerunRequested', '1');
    await multi.exec();
  }

  /**
   * Records a batch before its jobs are added: a worker fast enough to
   * finish a job before this returns still finds its URL pending. A crash
   * between this and adding the jobs is repaired by `missingJobs`.
   */
  async recordBatch(roundId: string, batch: EnqueuedBatch): Promise<void> {
    const base = this.keys.round(roundId);
    const multi = this.redis.multi();
    if (batch.pending.length > 0)
      multi.hset(`${base}:pending`, ...batch.pending.flatMap((item) => [item.jobId, `${item.line}\t${item.url}`]));
    if (batch.invalid.length > 0) {
      multi.rpush(`${base}:entries`, ...batch.invalid.map(({ line, ...entry }) => encodeSettledEntry(line, entry)));
      multi.hincrby(base, 'failed', batch.invalid.length);
      for (const entry of batch.invalid) multi.hincrby(`${base}:failures`, entry.error?.code ?? 'unknown', 1);
    }
    if (batch.duplicates.length > 0)
      multi.rpush(`${base}:duplicates`, ...batch.duplicates.map((duplicate) => JSON.stringify(duplicate)));
    for (const [code, count] of Object.entries(batch.omitted.invalidLinesByCode)) {
      multi.hincrby(base, 'failed', count);
      multi.hincrby(`${base}:failures`, code, count);
      multi.hincrby(`${base}:omitted`, code, count);
    }
    if (batch.omitted.duplicates > 0) multi.hincrby(base, 'omittedDuplicates', batch.omitted.duplicates);
    multi.hset(
      base,
      'enqueuedThroughLine',
      String(batch.throughLine),
      'urls',
      String(batch.urls),
      'invalidLines',
      String(batch.invalidLines),
    );
    await multi.exec();
  }

  async markListRead(roundId: string, listError?: { code: string; message: string }): Promise<void> {
    await this.redis.hset(
      this.keys.round(roundId),
      'listRead',
      '1',
      ...(listError === undefined ? [] : ['listError', JSON.stringify(listError)]),
    );
  }

  async pendingCount(roundId: string): Promise<number> {
    return await this.redis.hlen(`${this.keys.round(roundId)}:pending`);
  }

  /** Pending URLs whose download job no longer exists (lost with a coordinator crash or a Redis without AOF). */
  async missingJobs(roundId: string): Promise<PendingUrl[]> {
    const missing: PendingUrl[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(`${this.keys.round(roundId)}:pending`, cursor, 'COUNT', 1000);
      cursor = next;
      const items: PendingUrl[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const value = flat[i + 1]!;
        const tab = value.indexOf('\t');
        items.push({ jobId: flat[i]!, line: Number(value.slice(0, tab)), url: value.slice(tab + 1) });
      }
      if (items.length === 0) continue;
      const pipeline = this.redis.pipeline();
      for (const item of items) pipeline.exists(this.keys.downloadJob(item.jobId));
      const results = (await pipeline.exec()) ?? [];
      items.forEach((item, i) => {
        if (results[i]?.[1] === 0) missing.push(item);
      });
    } while (cursor !== '0');
    return missing;
  }

  /**
   * A worker reports a URL's outcome; returns the round it counted in, or
   * null when no current round was waiting for it.
   */
  async settle(jobId: string, entry: Omit<UrlEntry, 'line'>, transferred: number): Promise<string | null> {
    const result = await settleScript.run(
      this.redis,
      [this.keys.currentRound],
      [
        this.roundPrefix,
        jobId,
        JSON.stringify(entry),
        entry.status,
        transferred,
        entry.status === 'failed' ? (entry.error?.code ?? 'unknown') : '',
      ],
    );
    return typeof result === 'string' ? result : null;
  }

  async failuresByCode(roundId: string): Promise<Record<string, number>> {
    return countsByCode(await this.redis.hgetall(`${this.keys.round(roundId)}:failures`));
  }

  async omitted(roundId: string): Promise<OmittedListProblems> {
    const base = this.keys.round(roundId);
    const [byCode, duplicates] = await Promise.all([
      this.redis.hgetall(`${base}:omitted`),
      this.redis.hget(base, 'omittedDuplicates'),
    ]);
    return { invalidLinesByCode: countsByCode(byCode), duplicates: Number(duplicates ?? 0) };
  }

  async entries(roundId: string): Promise<UrlEntry[]> {
    const entries: UrlEntry[] = [];
    for await (const text of this.range(`${this.keys.round(roundId)}:entries`)) {
      const entry = decodeSettledEntry(text);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  async duplicates(roundId: string): Promise<DuplicateEntry[]> {
    const duplicates: DuplicateEntry[] = [];
    for await (const text of this.range(`${this.keys.round(roundId)}:duplicates`))
      duplicates.push(JSON.parse(text) as DuplicateEntry);
    return duplicates;
  }

  /**
   * Ends `roundId` with its summary: the one place a fleet round's summary
   * is written into Redis. The history keeps it trimmed (historySummary);
   * the round's entries are kept whole, in the summary's (list) order, for
   * `lastRound`. False if it was not the current round (already finished).
   */
  async finish(roundId: string, summary: RoundSummary): Promise<boolean> {
    const ordered = `${this.keys.round(roundId)}:entries-ordered`;
    // Written beside the settled entries and swapped in by the finish script: a coordinator that dies
    // midway leaves the settled ones intact for the one that takes over, which writes these again.
    await this.redis.del(ordered);
    for (let start = 0; start < summary.entries.length; start += ORDERED_CHUNK) {
      const chunk = summary.entries.slice(start, start + ORDERED_CHUNK);
      await this.redis.rpush(ordered, ...chunk.map(({ line, ...entry }) => encodeSettledEntry(line, entry)));
    }
    const result = await finishScript.run(
      this.redis,
      [this.keys.currentRound, this.keys.lastRound, this.keys.history],
      [roundId, JSON.stringify(historySummary(summary)), HISTORY_LENGTH, this.roundPrefix, ...ROUND_KEY_SUFFIXES],
    );
    return result === 1;
  }

  async lastRoundId(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.lastRound)) ?? undefined;
  }

  /**
   * The last completed round as `fetch --json` prints it: its summary with
   * every entry, in list order, as `finish` wrote them (the history keeps
   * only failures). Undefined before any round completed.
   */
  async lastRound(): Promise<RoundSummary | undefined> {
    const [newest] = await this.history(1);
    if (newest === undefined) return undefined;
    const { entriesKept: _kept, ...summary } = newest as RoundSummary & { entriesKept?: string };
    const entries = await this.entries(summary.roundId);
    return entries.length >= summary.entries.length ? { ...summary, entries } : summary;
  }

  /** The newest `count` completed rounds, newest first; by default every round kept. */
  async history(count = HISTORY_LENGTH): Promise<RoundSummary[]> {
    const texts = await this.redis.lrange(this.keys.history, 0, count - 1);
    return texts.map((text) => JSON.parse(text) as RoundSummary);
  }

  private async *range(key: string): AsyncGenerator<string> {
    const chunk = 5000;
    for (let start = 0; ; start += chunk) {
      const texts = await this.redis.lrange(key, start, start + chunk - 1);
      yield* texts;
      if (texts.length < chunk) return;
    }
  }
}

/** A Redis hash of error code to count, as numbers. */
function countsByCode(flat: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(flat).map(([code, count]) => [code, Number(count)]));
}
