import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import { splitLines } from './line-splitter.js';
import { openRemoteList } from './open-remote-list.js';
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

/** A list's name in messages (`-` is standard input) and its bytes. */
export interface ListSource {
  name: string;
  chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

const BINARY_PROBE_BYTES = 8000;
const RAW_PREVIEW_CHARS = 200;

/**
 * Opens a list file, standard input for `-`, or an http(s):// URL. Fails at once, with
 * IMG_ERR_LIST_UNREADABLE, when the file cannot be read: nothing has been
 * downloaded yet, so the caller can exit 2 with a clear message.
 */
export async function openListSource(path: string, stdin: Readable = process.stdin): Promise<ListSource> {
  if (path === '-') return { name: 'standard input', chunks: stdin, close: async () => {} };
  if (/^https?:\/\//i.test(path)) return await openRemoteList(path);
  try {
    const handle = await open(path, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    const stream = handle.createReadStream({ highWaterMark: 64 * 1024 });
    return { name: path, chunks: stream, close: async () => void stream.destroy() };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ImageLoaderError(ErrorCode.ListUnreadable, `cannot read URL list ${path}: ${reason}`, { cause: error });
  }
}

/**
 * Streams a URL list: one entry per URL, invalid line or duplicate, in file
 * order. Memory is bounded by the longest accepted line plus one small
 * fingerprint per distinct URL (for deduplication), never by the file size.
 * Throws IMG_ERR_LIST_BINARY before yielding anything when the file's first
 * bytes contain NUL (it is not a text list), and IMG_ERR_LIST_UNREADABLE when
 * reading fails midway.
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
          raw: preview(raw.bytes),
          code: ErrorCode.LineTooLong,
          reason: `line is longer than ${maxLineBytes} bytes`,
        };
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(raw.bytes);
      } catch {
        yield { kind: 'invalid', line: raw.number, raw: preview(raw.bytes), code: ErrorCode.InvalidEncoding, reason: 'not valid UTF-8' };
        continue;
      }
      const parsed = parseListLine(text);
      if (parsed.kind === 'skip') continue;
      if (parsed.kind === 'invalid') {
        yield { kind: 'invalid', line: raw.number, raw: truncate(text.trim()), code: parsed.code, reason: parsed.reason };
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
    throw new ImageLoaderError(ErrorCode.ListUnreadable, `cannot read URL list ${source.name}: ${(error as Error).message}`, { cause: error });
  } finally {
    await source.close();
  }
}

async function* probeBinary(source: ListSource): AsyncGenerator<Buffer> {
  let probed = 0;
  // Chunks are held back until the probe is done, so no line of a binary file is ever yielded.
  const held: Buffer[] = [];
  for await (const chunk of source.chunks) {
    if (probed < BINARY_PROBE_BYTES) {
      const probe = chunk.subarray(0, BINARY_PROBE_BYTES - probed);
      if (probe.includes(0)) {
        throw new ImageLoaderError(
          ErrorCode.ListBinary,
          `URL list ${source.name} looks like a binary file (NUL byte in its first ${BINARY_PROBE_BYTES} bytes), not a text list of URLs`,
        );
      }
      probed += probe.length;
      held.push(chunk);
      if (probed < BINARY_PROBE_BYTES) continue;
      yield* held.splice(0);
      continue;
    }
    yield chunk;
  }
  yield* held;
}

/** 96 bits of SHA-256: collisions are out of reach for any list, and a key costs ~16 bytes, not a URL's length. */
function fingerprint(url: string): string {
  return createHash('sha256').update(url).digest('base64').slice(0, 16);
}

function preview(bytes: Buffer): string {
  return truncate(bytes.subarray(0, RAW_PREVIEW_CHARS * 4).toString('utf8'));
}

function truncate(text: string): string {
  return text.length > RAW_PREVIEW_CHARS ? `${text.slice(0, RAW_PREVIEW_CHARS)}…` : text;
}
