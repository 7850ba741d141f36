import { sniffImageType } from '../image/sniff-image-type.js';

/** How many bytes at the start of a list decide whether it is a text list at all. */
export const LIST_PROBE_BYTES = 8000;

/**
 * Share of NUL bytes in the probe from which a list is taken for a binary
 * file. Text lists hold none (a stray NUL in a line is that line's error);
 * random bytes hold 1 in 256; executables, databases and UTF-16 hold far more.
 */
export const BINARY_NUL_SHARE = 0.1;

/** The verdict on a list's first bytes: a text list to read line by line, or a file to refuse whole. */
export type ListProbeVerdict =
  | { kind: 'text' }
  /**
   * `reason`: what it looks like ("gzip data", "a PNG image") or why ("900 of its first 8000 bytes are NUL");
   * `wideText`: it is text, but UTF-16 or UTF-32, which the reader does not decode.
   */
  | { kind: 'binary'; reason: string; wideText: boolean };

interface Signature {
  what: string;
  matches(b: Uint8Array): boolean;
}

const at = (b: Uint8Array, offset: number, ...bytes: number[]): boolean =>
  bytes.every((byte, i) => b[offset + i] === byte);
const ascii = (b: Uint8Array, offset: number, text: string): boolean =>
  at(b, offset, ...Array.from(text, (c) => c.charCodeAt(0)));
const hasNul = (b: Uint8Array, from: number, to: number): boolean => b.subarray(from, to).includes(0);

/**
 * Formats that are not images but are often what a wrong path points at.
 * Signatures made only of printable ASCII also require a byte no text list
 * has, so a list whose first line happens to start like one is still read.
 */
const SIGNATURES: Signature[] = [
  { what: 'gzip data', matches: (b) => at(b, 0, 0x1f, 0x8b, 0x08) },
  {
    what: 'a ZIP archive (or an Office document, a JAR)',
    matches: (b) => ascii(b, 0, 'PK') && (at(b, 2, 3, 4) || at(b, 2, 5, 6) || at(b, 2, 7, 8)),
  },
  { what: 'a PDF', matches: (b) => ascii(b, 0, '%PDF-') },
  { what: 'an ELF executable', matches: (b) => at(b, 0, 0x7f, 0x45, 0x4c, 0x46) },
  { what: 'a Windows executable', matches: (b) => ascii(b, 0, 'MZ') && hasNul(b, 2, 64) },
  {
    what: 'a Mach-O executable or Java class',
    matches: (b) =>
      [
        [0xfe, 0xed, 0xfa],
        [0xce, 0xfa, 0xed],
        [0xcf, 0xfa, 0xed],
        [0xca, 0xfe, 0xba],
      ].some((magic) => at(b, 0, ...magic)),
  },
  { what: 'bzip2 data', matches: (b) => ascii(b, 0, 'BZh') && ascii(b, 4, '1AY&SY') },
  { what: 'xz data', matches: (b) => at(b, 0, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) },
  { what: 'zstd data', matches: (b) => at(b, 0, 0x28, 0xb5, 0x2f, 0xfd) },
  { what: 'a 7-Zip archive', matches: (b) => at(b, 0, 0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c) },
  { what: 'a RAR archive', matches: (b) => ascii(b, 0, 'Rar!') && at(b, 4, 0x1a, 0x07) },
  { what: 'a tar archive', matches: (b) => ascii(b, 257, 'ustar') },
  { what: 'an SQLite database', matches: (b) => ascii(b, 0, 'SQLite format 3') && at(b, 15, 0) },
  { what: 'WebAssembly', matches: (b) => at(b, 0, 0x00, 0x61, 0x73, 0x6d) },
  { what: 'an MP4/QuickTime file', matches: (b) => ascii(b, 4, 'ftyp') && hasNul(b, 0, 4) },
  {
    what: 'a RIFF file (WAV, AVI)',
    matches: (b) => ascii(b, 0, 'RIFF') && (hasNul(b, 4, 8) || ascii(b, 8, 'WAVE') || ascii(b, 8, 'AVI ')),
  },
  { what: 'an Ogg file', matches: (b) => ascii(b, 0, 'OggS') && at(b, 4, 0) },
  { what: 'a FLAC file', matches: (b) => ascii(b, 0, 'fLaC') && hasNul(b, 4, 8) },
  { what: 'an MP3 file', matches: (b) => ascii(b, 0, 'ID3') && b[3] !== undefined && b[3] < 0x10 },
  { what: 'a Matroska/WebM file', matches: (b) => at(b, 0, 0x1a, 0x45, 0xdf, 0xa3) },
];

/**
 * Decides from a list's first bytes (up to LIST_PROBE_BYTES, or the whole
 * file when it is shorter) whether it is a text list. Only a file that
 * clearly is not one is refused whole: a known binary signature, UTF-16 or
 * UTF-32 text, or a large share of NUL bytes. Anything else is read line by
 * line, so a stray NUL or a line of garbage costs that line, not the list.
 * Pure.
 */
export function judgeListProbe(probe: Uint8Array): ListProbeVerdict {
  const bytes = probe.subarray(0, LIST_PROBE_BYTES);
  if (bytes.length === 0) return { kind: 'text' };

  const wide = wideEncoding(bytes);
  if (wide !== undefined) return { kind: 'binary', reason: wide, wideText: true };

  const image = imageType(bytes);
  if (image !== undefined) return { kind: 'binary', reason: `a ${image.toUpperCase()} image`, wideText: false };
  const signature = SIGNATURES.find((candidate) => candidate.matches(bytes));
  if (signature) return { kind: 'binary', reason: signature.what, wideText: false };

  let nuls = 0;
  for (const byte of bytes) if (byte === 0) nuls++;
  if (nuls / bytes.length >= BINARY_NUL_SHARE) {
    return { kind: 'binary', reason: `${nuls} of its first ${bytes.length} bytes are NUL`, wideText: false };
  }
  return { kind: 'text' };
}

/** An image's magic (the download sniffer's table); SVG is text and does not count. */
function imageType(bytes: Uint8Array): string | undefined {
  const sniffed = sniffImageType(bytes, true, { allowSvg: false });
  if (sniffed.verdict !== 'image') return undefined;
  // The sniffer takes any "BM" for a bitmap; here a list line may start so. A real BMP's reserved field is zero.
  if (sniffed.type === 'bmp' && !at(bytes, 6, 0, 0, 0, 0)) return undefined;
  return sniffed.type;
}

/** UTF-16 or UTF-32, by byte order mark, or by the NULs every other byte of ASCII text in UTF-16 carries. */
function wideEncoding(b: Uint8Array): string | undefined {
  if (at(b, 0, 0xff, 0xfe, 0x00, 0x00)) return 'UTF-32 text (little-endian, byte order mark FF FE 00 00)';
  if (at(b, 0, 0x00, 0x00, 0xfe, 0xff)) return 'UTF-32 text (big-endian, byte order mark 00 00 FE FF)';
  if (at(b, 0, 0xff, 0xfe)) return 'UTF-16 text (little-endian, byte order mark FF FE)';
  if (at(b, 0, 0xfe, 0xff)) return 'UTF-16 text (big-endian, byte order mark FE FF)';
  const pairs = Math.floor(b.length / 2);
  if (pairs < 2) return undefined;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i + 1 < b.length; i += 2) {
    if (b[i] === 0) evenNuls++;
    if (b[i + 1] === 0) oddNuls++;
  }
  if (oddNuls >= 0.8 * pairs && evenNuls <= 0.2 * pairs) return 'UTF-16 text (little-endian, no byte order mark)';
  if (evenNuls >= 0.8 * pairs && oddNuls <= 0.2 * pairs) return 'UTF-16 text (big-endian, no byte order mark)';
  return undefined;
}
