/** What a GET or HEAD of a stored file gets, given its conditional headers. */
export type PreconditionDecision =
  | { kind: 'proceed' }
  | { kind: 'not-modified'; by: 'if-none-match' | 'if-modified-since' }
  | { kind: 'precondition-failed'; by: 'if-match' | 'if-unmodified-since' };

export interface PreconditionRequest {
  /** The request's headers, as received (undefined when absent). */
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
  ifUnmodifiedSince: string | undefined;
  /** The request's Cache-Control: `no-cache` asks for the whole answer, never a 304. */
  cacheControl: string | undefined;
  /** The file's strong ETag and modification time (sent as Last-Modified, whole seconds). */
  etag: string;
  mtimeMs: number;
}

/**
 * Evaluates the preconditions of a GET or HEAD in the order of RFC 9110
 * §13.2.2, before any byte is read:
 * 1. If-Match that no current tag matches (strong comparison): 412;
 * 2. else, without If-Match, If-Unmodified-Since older than the file: 412;
 * 3. If-None-Match that a current tag matches (weak comparison): 304;
 * 4. else, without If-None-Match, If-Modified-Since no older than the file: 304;
 * then Range and If-Range (range-policy.ts) decide the rest. A date that
 * does not parse is ignored (§13.1.3, §13.1.4). A request with
 * `Cache-Control: no-cache` gets the whole answer instead of a 304 (an
 * end-to-end reload), as express's `fresh` does.
 */
export function decidePreconditions(request: PreconditionRequest): PreconditionDecision {
  const lastModifiedMs = Math.trunc(request.mtimeMs / 1000) * 1000;
  if (request.ifMatch !== undefined) {
    if (!tagListMatches(request.ifMatch, request.etag, 'strong'))
      return { kind: 'precondition-failed', by: 'if-match' };
  } else if (request.ifUnmodifiedSince !== undefined) {
    const date = Date.parse(request.ifUnmodifiedSince);
    if (!Number.isNaN(date) && lastModifiedMs > date) return { kind: 'precondition-failed', by: 'if-unmodified-since' };
  }
  if (request.cacheControl !== undefined && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(request.cacheControl))
    return { kind: 'proceed' };
  if (request.ifNoneMatch !== undefined) {
    if (tagListMatches(request.ifNoneMatch, request.etag, 'weak')) return { kind: 'not-modified', by: 'if-none-match' };
  } else if (request.ifModifiedSince !== undefined) {
    const date = Date.parse(request.ifModifiedSince);
    if (!Number.isNaN(date) && lastModifiedMs <= date) return { kind: 'not-modified', by: 'if-modified-since' };
  }
  return { kind: 'proceed' };
}

const ENTITY_TAG = /(W\/)?"[^"]*"/g;

/**
 * Whether `*` or one of the list's entity tags matches the file's (strong)
 * ETag: the strong comparison (If-Match) never matches a weak tag, the weak
 * one (If-None-Match) ignores the `W/` (RFC 9110 §8.8.3.2). A list with
 * no valid tag matches nothing.
 */
function tagListMatches(header: string, etag: string, comparison: 'strong' | 'weak'): boolean {
  if (header.trim() === '*') return true;
  for (const [tag, weak] of header.matchAll(ENTITY_TAG)) {
    const opaque = weak === undefined ? tag : tag.slice(2);
    if (opaque === etag && (weak === undefined || comparison === 'weak')) return true;
  }
  return false;
}
