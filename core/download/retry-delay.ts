import { parseHttpDate } from './http-date.js';

export interface RetryDelayOptions {
  /** Delay before the first retry, before jitter. @defaultValue 500 */
  baseMs?: number;
  /** No computed delay exceeds this. @defaultValue 30000 */
  maxMs?: number;
  /** A server's Retry-After longer than this is not honoured (the retry happens at maxRetryAfterMs). @defaultValue 120000 */
  maxRetryAfterMs?: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): exponential backoff
 * with "full jitter" (a random point between half and all of the step), so a
 * fleet that failed together does not retry together. A server's Retry-After
 * wins when given, capped so one header cannot park a URL for hours.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
  options: RetryDelayOptions = {},
): number {
  const { baseMs = 500, maxMs = 30_000, maxRetryAfterMs = 120_000 } = options;
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), maxRetryAfterMs);
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = parseHttpDate(trimmed);
  return date === undefined ? undefined : Math.max(0, date - now);
}
