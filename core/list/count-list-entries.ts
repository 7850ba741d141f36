import { createReadStream } from 'node:fs';

/**
 * Counts a list file's lines that are neither blank nor comments: the number
 * of entries a round will have, before duplicates are dropped. A quick
 * separate pass (no URL parsing), so a progress bar can show a total long
 * before the streaming round has read the whole list. Undefined when the
 * file cannot be read; the round itself reports that.
 */
export async function countListEntries(path: string): Promise<number | undefined> {
  let count = 0;
  // State across chunks: are we at the start of a line, still in its leading whitespace?
  let atLineStart = true;
  let decided = false;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === 0x0a) {
          atLineStart = true;
          decided = false;
        } else if (
          !decided &&
          atLineStart &&
          byte !== 0x20 &&
          byte !== 0x09 &&
          byte !== 0x0d &&
          byte !== 0xef &&
          byte !== 0xbb &&
          byte !== 0xbf
        ) {
          decided = true;
          if (byte !== 0x23) count++;
        }
      }
    }
    return count;
  } catch {
    return undefined;
  }
}
