import { createHash } from 'node:crypto';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import { judgeListProbe, LIST_PROBE_BYTES } from './judge-list-probe.js';
import { bytesPreview, linePreview } from './line-preview.js';
import { splitLines } from './line-splitter.js';
import type { ListSource } from './list-source.js';
import { parseListLine } from './parse-list-line.js';

/** What reading a URL list yields, line by line, in order. */
export type ListEntry =
  | { kind: 'url'; url: string; line: number }
  | { kind: 'invalid'; line: number; raw: string; code: ErrorCode; reason: string }
  | { kind: 'duplicate'; url: string; line: number; firstLine: number };

export interface ReadUrlListOptions {
  /** Longest line accepted, in bytes. @defaultValue 8192 */
  maxLineBytes?: number;
}

/**
 * Streams a URL list: one entry per URL, invalid line or duplicate, in file
 * order. Memory is bounded by the longest accepted line plus one small
 * fingerprint per distinct URL (for deduplication), never by the file size.
 * Throws IMG_ERR_LIST_BINARY before yielding anything when the file's first
 * bytes show it is not a text list at all (see judgeListProbe: a binary
 * signature, UTF-16, mostly NUL); a stray NUL or garbage line in a text list
 * is only that line's error. Throws IMG_ERR_LIST_UNREADABLE when reading
 * fails midway. An invalid line's `raw` is a display-safe preview (cut,
 * control characters escaped).
 */
export async function* readUrlList(source: ListSource, options: ReadUrlListOptions = {}): AsyncGenerator<ListEntry> {
  const maxLineBytes = options.maxLineBytes ?? 8192;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Fingerprint -> first line number; negative once its duplicates were reported.
  const seen = new Map<string, number>();

  try {
    for await (const raw of splitLines(probeBinary(source), maxLineBytes)) {
      if (raw.overLong) {
        yield {
          kind: 'invalid',
          line: raw.number,
          raw: bytesPreview(raw.bytes),
          code: ErrorCode.LineTooLong,
          reason: `line is longer than ${maxLineBytes} bytes`,
        };
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(raw.bytes);
      } catch {
        yield {
          kind: 'invalid',
          line: raw.number,
          raw: bytesPreview(raw.bytes),
          code: ErrorCode.InvalidEncoding,
          reason: 'not valid UTF-8',
        };
        continue;
      }
      const parsed = parseListLine(text);
      if (parsed.kind === 'skip') continue;
      if (parsed.kind === 'invalid') {
        yield {
          kind: 'invalid',
          line: raw.number,
          raw: linePreview(text.trim()),
          code: parsed.code,
          reason: parsed.reason,
        };
        continue;
      }
      const key = fingerprint(parsed.url);
      const firstLine = seen.get(key);
      if (firstLine === undefined) {
        seen.set(key, raw.number);
        yield { kind: 'url', url: parsed.url, line: raw.number };
      } else if (firstLine > 0) {
        // Report a repeated URL once, not once per repetition.
        seen.set(key, -firstLine);
        yield { kind: 'duplicate', url: parsed.url, line: raw.number, firstLine };
      }
    }
  } catch (error) {
    if (error instanceof ImageLoaderError) throw error;
    throw new ImageLoaderError(
      ErrorCode.ListUnreadable,
      `cannot read URL list ${source.name}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await source.close();
  }
}

/** Passes the source's chunks through once its first bytes have been judged a text list. */
async function* probeBinary(source: ListSource): AsyncGenerator<Buffer> {
  let probed = 0;
  // Chunks are held back until the probe is judged, so no line of a refused file is ever yielded.
  let held: Buffer[] | undefined = [];
  const judge = (): void => {
    const verdict = judgeListProbe(Buffer.concat(held!).subarray(0, LIST_PROBE_BYTES));
    if (verdict.kind === 'binary') {
      throw new ImageLoaderError(
        ErrorCode.ListBinary,
        verdict.wideText
          ? `URL list ${source.name} looks like ${verdict.reason}, which is not supported: a list must be UTF-8 (save it as UTF-8)`
          : `URL list ${source.name} looks like a binary file (${verdict.reason}), not a text list of URLs`,
      );
    }
  };
  for await (const chunk of source.chunks) {
    if (held === undefined) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    probed += chunk.length;
    if (probed < LIST_PROBE_BYTES) continue;
    judge();
    yield* held;
    held = undefined;
  }
  if (held !== undefined) {
    judge();
    yield* held;
  }
}

/** 96 bits of SHA-256: collisions are out of reach for any list, and a key costs ~16 bytes, not a URL's length. */
function fingerprint(url: string): string {
  return createHash('sha256').update(url).digest('base64').slice(0, 16);
}
