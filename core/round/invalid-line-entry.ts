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

/** Whether an entry is an invalid line's (invalidLineEntry), not a listed URL's: a download's error never starts so. */
export function isInvalidLineEntry(entry: UrlEntry): boolean {
  return entry.status === 'failed' && entry.error?.message.startsWith(linePrefix(entry.line)) === true;
}

function linePrefix(line: number): string {
  return `line ${line}: `;
}
