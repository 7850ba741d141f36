import type { IncomingHttpHeaders } from 'node:http';
import { decidePreconditions } from './precondition-policy.js';
import { decideRange } from './range-policy.js';

/** How a GET or HEAD of one stored file is answered, whether its bytes come from the file or from memory. */
export type FileAnswer = { status: 200 | 304 | 412 | 416 } | { status: 206; start: number; end: number };

/** The version asked about: its validators and its length. */
export interface FileVersion {
  etag: string;
  mtimeMs: number;
  size: number;
}

/**
 * RFC 9110's order (§13.2.2): preconditions first (precondition-policy.ts), a 412 before anything else and a 304
 * before any range, then Range and If-Range (range-policy.ts): one part, or 416 for a range wholly outside the file.
 */
export function decideFileAnswer(headers: IncomingHttpHeaders, version: FileVersion): FileAnswer {
  const conditional = decidePreconditions({
    ifMatch: headers['if-match'],
    ifNoneMatch: headers['if-none-match'],
    ifModifiedSince: headers['if-modified-since'],
    ifUnmodifiedSince: headers['if-unmodified-since'],
    cacheControl: headers['cache-control'],
    etag: version.etag,
    mtimeMs: version.mtimeMs,
  });
  if (conditional.kind === 'precondition-failed') return { status: 412 };
  if (conditional.kind === 'not-modified') return { status: 304 };
  const range = decideRange({
    size: version.size,
    range: headers.range,
    ifRange: headers['if-range'] as string | undefined,
    etag: version.etag,
    mtimeMs: version.mtimeMs,
  });
  if (range.kind === 'unsatisfiable') return { status: 416 };
  if (range.kind === 'partial') return { status: 206, start: range.start, end: range.end };
  return { status: 200 };
}

/** Whether a request asks nothing of the version: no precondition, no Range; the answer is the whole file. */
export function asksForWhole(headers: IncomingHttpHeaders): boolean {
  return (
    headers.range === undefined &&
    headers['if-match'] === undefined &&
    headers['if-none-match'] === undefined &&
    headers['if-modified-since'] === undefined &&
    headers['if-unmodified-since'] === undefined
  );
}
