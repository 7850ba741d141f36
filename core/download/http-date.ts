/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) into ms since epoch. All three of its
 * formats start with a day name; Date.parse alone would also accept `3600`
 * (the year 3600) or `-1`, turning a malformed header into "fresh for
 * centuries" or "retry at once".
 */
export function parseHttpDate(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^(mon|tue|wed|thu|fri|sat|sun)/i.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}
