/** One physical line of input, as bytes, with what the splitter noticed. */
export interface RawLine {
  /** 1-based line number. */
  number: number;
  /** The line's bytes without `\n` / `\r\n`; at most `maxLineBytes` of them. */
  bytes: Buffer;
  /** True when the line was longer than `maxLineBytes`; the rest was dropped unread into memory. */
  overLong: boolean;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a byte stream into lines without ever holding more than
 * `maxLineBytes` of one line: a 100 MB line costs 100 MB of reading, not of
 * memory. Accepts LF and CRLF endings and a leading UTF-8 BOM.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let kept = 0;
  let overLong = false;
  let number = 0;
  // The stream's first bytes while they could still be (part of) a BOM; undefined once decided.
  let head: Buffer | undefined = Buffer.alloc(0);

  const take = (): RawLine => {
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, kept);
    let tooLong = overLong;
    if (!tooLong && bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > maxLineBytes) {
      tooLong = true;
      bytes = bytes.subarray(0, maxLineBytes);
    }
    const line = { number: ++number, bytes, overLong: tooLong };
    parts = [];
    kept = 0;
    overLong = false;
    return line;
  };
  const keep = (piece: Buffer): void => {
    // Allow one extra byte for a CR that the line ending will strip.
    const room = maxLineBytes + 1 - kept;
    if (piece.length > room) {
      overLong = true;
      piece = piece.subarray(0, Math.max(0, room));
    }
    if (piece.length > 0) {
      // Copy: the caller's chunk must not stay alive through a small slice of it.
      parts.push(Buffer.from(piece));
      kept += piece.length;
    }
  };

  for await (let chunk of chunks) {
    if (head) {
      // A BOM may arrive split over chunks (a slow pipe, or empty first chunks).
      chunk = head.length > 0 ? Buffer.concat([head, chunk]) : chunk;
      if (chunk.length < UTF8_BOM.length && UTF8_BOM.subarray(0, chunk.length).equals(chunk)) {
        head = chunk;
        continue;
      }
      head = undefined;
      if (chunk.subarray(0, 3).equals(UTF8_BOM)) chunk = chunk.subarray(3);
    }
    let start = 0;
    for (let end = chunk.indexOf(0x0a, start); end !== -1; end = chunk.indexOf(0x0a, start)) {
      keep(chunk.subarray(start, end));
      yield take();
      start = end + 1;
    }
    if (start < chunk.length) keep(chunk.subarray(start));
  }
  if (head) keep(head); // A stream of only the start of a BOM: those bytes are content.
  if (kept > 0 || overLong) yield take();
}
