import { setTimeout as sleep } from 'node:timers/promises';
import { retryDelayMs } from '../download/retry-delay.js';
import type { ImageLoaderError } from '../errors/image-loader-error.js';
import type { ListEntry } from '../list/read-url-list.js';
import { Slots } from '../service/slots.js';
import { invalidLineEntry } from './invalid-line-entry.js';
import { ListProblemCap } from './list-problem-cap.js';
import { newRoundId } from './round-id.js';
import { type DuplicateEntry, type RoundSummary, summarizeRound, type UrlEntry } from './round-summary.js';
import { type SettleSteps, settleUrl } from './settle-url.js';

export type RoundEvent =
  | { type: 'entry'; entry: UrlEntry; transferred: number }
  /** `listed`: false once the round's cap of listed invalid lines is reached (counted, not reported one by one). */
  | { type: 'invalid-line'; line: number; raw: string; code: string; reason: string; listed: boolean }
  | { type: 'duplicate'; duplicate: DuplicateEntry; listed: boolean }
  | { type: 'retry'; url: string; attempt: number; delayMs: number; error: ImageLoaderError }
  /** The whole list has been read: `entries` is the final count of entries the summary will have. */
  | { type: 'list-read'; entries: number };

/** `download` frees the URL's slot through `onBodyReceived`, so the next URL can start while a file is committed. */
export interface RunRoundOptions extends SettleSteps {
  listName: string;
  entries: AsyncIterable<ListEntry>;
  /** Requests on the network at once (a download's slot is freed when its body has arrived). */
  concurrency: number;
  /** Retries after the first attempt, for retryable failures only. */
  retries: number;
  /** Stops the round: no new URL starts, running downloads abort, waiting retries are dropped. */
  signal?: AbortSignal | undefined;
  onEvent?(event: RoundEvent): void;
  random?: () => number;
  /** How many invalid lines and duplicates are listed one by one; the rest are counted. @defaultValue LISTED_LIST_PROBLEMS */
  listedProblems?: number;
}

/**
 * Runs one round in one process: every URL of the list through settleUrl,
 * `concurrency` at a time, in list order. The list is pulled only as slots
 * free up, so a huge list is never read ahead into memory. A retryable
 * failure gives its slot back while it waits out its backoff. Never throws
 * for a URL's failure: that is an entry of the summary. Throws only when the
 * list itself cannot be read.
 */
export async function runRound(options: RunRoundOptions): Promise<RoundSummary> {
  const startedAt = Date.now();
  const roundId = newRoundId(new Date(startedAt));
  const signal = options.signal ?? new AbortController().signal;
  const random = options.random ?? Math.random;
  const slots = new Slots(options.concurrency);
  const cap = new ListProblemCap(options.listedProblems);
  const entries: UrlEntry[] = [];
  const duplicates: DuplicateEntry[] = [];
  const inFlight = new Set<Promise<void>>();
  let bytesTransferred = 0;
  let invalidLines = 0;
  let urls = 0;

  const emit = (event: RoundEvent): void => options.onEvent?.(event);
  const settle = (entry: UrlEntry, transferred: number, listed = true): void => {
    if (listed) entries.push(entry);
    bytesTransferred += transferred;
    emit({ type: 'entry', entry, transferred });
  };

  // Called holding a slot. A slot stands for a request on the network: it is given back as soon as the
  // body has arrived (closing and renaming the file need no connection), and while a retry waits.
  const handle = async (url: string, line: number): Promise<void> => {
    let holding = true;
    const releaseSlot = (): void => {
      if (holding) {
        holding = false;
        slots.release();
      }
    };
    try {
      for (let attempt = 1; ; attempt++) {
        if (!holding) {
          await slots.acquire();
          holding = true;
        }
        const outcome = await settleUrl(url, options, {
          attempt,
          retries: options.retries,
          signal,
          whenStopping: 'settle',
          onBodyReceived: releaseSlot,
        });
        if (outcome.kind === 'settled') {
          const { url: _url, ...entry } = outcome.entry;
          settle({ url, line, ...entry }, outcome.transferred);
          return;
        }
        const delayMs = retryDelayMs(attempt, outcome.error.retryAfterMs, random);
        emit({ type: 'retry', url, attempt, delayMs, error: outcome.error });
        releaseSlot();
        // Stopped while waiting: the next attempt finds the signal aborted and settles the URL as stopped.
        await sleep(delayMs, undefined, { signal }).catch(() => {});
      }
    } finally {
      releaseSlot();
    }
  };

  for await (const item of options.entries) {
    if (item.kind === 'invalid') {
      invalidLines++;
      const listed = cap.admitInvalid(item.code);
      emit({ type: 'invalid-line', line: item.line, raw: item.raw, code: item.code, reason: item.reason, listed });
      settle(invalidLineEntry(item), 0, listed);
      continue;
    }
    if (item.kind === 'duplicate') {
      const duplicate = { url: item.url, line: item.line, firstLine: item.firstLine };
      const listed = cap.admitDuplicate();
      if (listed) duplicates.push(duplicate);
      emit({ type: 'duplicate', duplicate, listed });
      continue;
    }
    if (signal.aborted) break;
    urls++;
    await slots.acquire();
    const task = handle(item.url, item.line).finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
  emit({ type: 'list-read', entries: urls + invalidLines });
  while (inFlight.size > 0) await Promise.all(inFlight);

  return summarizeRound({
    roundId,
    list: options.listName,
    startedAt,
    finishedAt: Date.now(),
    entries,
    duplicates,
    invalidLines,
    omitted: { invalidLinesByCode: cap.omittedByCode, duplicates: cap.omittedDuplicates },
    bytesTransferred,
    aborted: signal.aborted,
  });
}
