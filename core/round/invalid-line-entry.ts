import { ErrorCode } from '../errors/error-codes.js';
import type { ListEntry } from '../list/read-url-list.js';
import type { UrlEntry } from './round-summary.js';

/** An invalid line as the list reader yields it. */
export type InvalidLine = Extract<ListEntry, { kind: 'invalid' }>;

/**
 * A round's entry for an invalid list line, in both modes: failed, its `url` the raw text (not a URL the list
 * names), its message starting with `line N: `. The summary's contract has no other mark for it, so the
 * recogniser below lives here, beside the one place that writes that prefix.
 */
export function invalidLineEntry(item: InvalidLine): UrlEntry {
  return {
    url: item.raw,
    line: item.line,
    status: 'failed',
    error: { code: item.code, message: `${linePrefix(item.line)}${item.reason}` },
  };
}

/** The codes the list reader gives invalid lines (read-url-list.ts, parse-list-line.ts). */
const LIST_LINE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.InvalidUrl,
  ErrorCode.UnsupportedScheme,
  ErrorCode.CredentialsInUrl,
  ErrorCode.LineTooLong,
  ErrorCode.InvalidEncoding,
]);

/**
 * Whether an entry is an invalid line's (invalidLineEntry), not a listed URL's. Both marks, since taking a listed
 * URL for a line would count it delisted: a line's code, and the prefix no download's error starts with.
 */
export function isInvalidLineEntry(entry: UrlEntry): boolean {
  const error = entry.error;
  return (
    entry.status === 'failed' &&
    error !== undefined &&
    LIST_LINE_CODES.has(error.code) &&
    error.message.startsWith(linePrefix(entry.line))
  );
}

function linePrefix(line: number): string {
  return `line ${line}: `;
}
