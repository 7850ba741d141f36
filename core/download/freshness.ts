import { parseHttpDate } from './http-date.js';

/**
 * RFC 9111 freshness, as a private cache would judge it, from the response
 * headers we keep. Pure: the caller passes the clock.
 */
export interface FreshnessHeaders {
  cacheControl?: string | undefined;
  expires?: string | undefined;
  date?: string | undefined;
  age?: string | undefined;
}

/**
 * When the stored copy stops being fresh (ms since epoch), or undefined when
 * it must be revalidated on every round (no explicit lifetime, `no-cache`,
 * `no-store`, `must-revalidate` with zero lifetime, an unparseable Expires).
 * Heuristic freshness (from Last-Modified) is deliberately not used: the
 * product promises an always-fresh copy, so only an origin's explicit word
 * lets a round skip asking.
 */
export function freshUntil(headers: FreshnessHeaders, responseTimeMs: number): number | undefined {
  const directives = parseCacheControl(headers.cacheControl);
  if (directives.has('no-store') || directives.has('no-cache')) return undefined;

  let lifetimeMs: number | undefined;
  const maxAge = directives.get('max-age');
  if (maxAge !== undefined && /^\d+$/.test(maxAge)) {
    lifetimeMs = Number(maxAge) * 1000;
  } else if (headers.expires !== undefined) {
    const expires = parseHttpDate(headers.expires);
    if (expires === undefined) return undefined; // RFC 9111 §5.3: an invalid Expires means already expired.
    const date = headers.date === undefined ? undefined : parseHttpDate(headers.date);
    lifetimeMs = expires - (date ?? responseTimeMs);
  }
  if (lifetimeMs === undefined || lifetimeMs <= 0) return undefined;

  const ageMs = headers.age !== undefined && /^\d+$/.test(headers.age.trim()) ? Number(headers.age.trim()) * 1000 : 0;
  const remaining = lifetimeMs - ageMs;
  return remaining > 0 ? responseTimeMs + remaining : undefined;
}

function parseCacheControl(value: string | undefined): Map<string, string | undefined> {
  const directives = new Map<string, string | undefined>();
  if (value === undefined) return directives;
  for (const part of value.split(',')) {
    const [name, ...rest] = part.split('=');
    const key = name?.trim().toLowerCase();
    if (!key) continue;
    const raw =
      rest.length > 0
        ? rest
            .join('=')
            .trim()
            .replace(/^"(.*)"$/, '$1')
        : undefined;
    // RFC 9111 §4.2.1: with duplicates, use the first (a conservative reading).
    if (!directives.has(key)) directives.set(key, raw);
  }
  return directives;
}
