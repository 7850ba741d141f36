import type { ImageType } from './image-types.js';

/**
 * The verdict on a body's first bytes:
 * - `image`: it is this type;
 * - `svg-refused`: SVG, and SVG is not allowed;
 * - `not-image`: it is something else (HTML, JSON, an empty body, ...);
 * - `need-more`: undecided until more bytes arrive (only when `complete` is false).
 */
export type SniffResult =
  | { verdict: 'image'; type: ImageType }
  | { verdict: 'svg-refused' }
  | { verdict: 'not-image'; looksLike: string }
  | { verdict: 'need-more' };

/** Enough for every binary signature below. */
export const BINARY_SNIFF_BYTES = 32;
/** SVG may open with an XML declaration, comments and a DOCTYPE before `<svg`. */
export const TEXT_SNIFF_BYTES = 4096;

export interface SniffOptions {
  allowSvg: boolean;
}

/**
 * Decides a body's image type from its magic bytes alone; the server's
 * Content-Type and the URL's extension are not trusted. `complete` says the
 * prefix is the whole body, so no more bytes will come.
 */
export function sniffImageType(prefix: Uint8Array, complete: boolean, options: SniffOptions): SniffResult {
  if (prefix.length < BINARY_SNIFF_BYTES && !complete) return { verdict: 'need-more' };
  const binary = sniffBinary(prefix);
  if (binary) return { verdict: 'image', type: binary };

  const text = Buffer.from(prefix.subarray(0, TEXT_SNIFF_BYTES)).toString('latin1');
  const svg = looksLikeSvg(text);
  if (svg === 'undecided' && prefix.length < TEXT_SNIFF_BYTES && !complete) return { verdict: 'need-more' };
  if (svg === 'yes') return options.allowSvg ? { verdict: 'image', type: 'svg' } : { verdict: 'svg-refused' };
  return { verdict: 'not-image', looksLike: describe(prefix, text) };
}

function sniffBinary(b: Uint8Array): ImageType | undefined {
  const at = (offset: number, ...bytes: number[]): boolean => bytes.every((byte, i) => b[offset + i] === byte);
  const ascii = (offset: number, text: string): boolean => at(offset, ...Array.from(text, (c) => c.charCodeAt(0)));

  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(4, 'ftyp') && isAvifBrand(b)) return 'avif';
  if (ascii(0, 'BM') && b.length >= 14) return 'bmp';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  // ICO/CUR: reserved 0, type 1 (icon) or 2 (cursor), at least one image.
  if (at(0, 0x00, 0x00) && (b[2] === 1 || b[2] === 2) && b[3] === 0 && (b[4]! | b[5]!) !== 0) return 'ico';
  return undefined;
}

/** The ftyp box names AVIF as its major brand or among the compatible brands we can see. */
function isAvifBrand(b: Uint8Array): boolean {
  const boxSize = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const end = Math.min(b.length, boxSize >= 16 ? boxSize : 0);
  const brands: string[] = [];
  for (let offset = 8; offset + 4 <= end; offset += offset === 8 ? 8 : 4) {
    brands.push(String.fromCharCode(b[offset]!, b[offset + 1]!, b[offset + 2]!, b[offset + 3]!));
  }
  return brands.includes('avif') || brands.includes('avis');
}

function looksLikeSvg(text: string): 'yes' | 'no' | 'undecided' {
  // Skip what may stand before the root element: BOM, whitespace, XML
  // declaration, processing instructions, comments, DOCTYPE.
  let rest = text.replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  for (;;) {
    rest = rest.trimStart();
    if (rest === '') return 'undecided';
    if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end === -1) return 'undecided';
      rest = rest.slice(end + 2);
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end === -1) return 'undecided';
      rest = rest.slice(end + 3);
    } else if (/^<!doctype/i.test(rest)) {
      // An internal subset (`[ <!ENTITY ...> ]`, as Illustrator writes) holds `>` of its own.
      const gt = rest.indexOf('>');
      const subset = rest.indexOf('[');
      const close = subset !== -1 && (gt === -1 || subset < gt) ? rest.indexOf(']', subset) : gt;
      const end = close === -1 ? -1 : rest.indexOf('>', close);
      if (end === -1) return 'undecided';
      rest = rest.slice(end + 1);
    } else if (rest.length < 5) {
      return 'undecided';
    } else {
      return /^<svg[\s>/]/.test(rest) || /^<svg:svg[\s>]/.test(rest) ? 'yes' : 'no';
    }
  }
}

function describe(prefix: Uint8Array, text: string): string {
  if (prefix.length === 0) return 'an empty body';
  const head = text.trimStart().slice(0, 64).toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'HTML';
  if (head.startsWith('<?xml') || head.startsWith('<')) return 'XML or HTML';
  if (head.startsWith('{') || head.startsWith('[')) return 'JSON';
  if (prefix[0] === 0x1f && prefix[1] === 0x8b) return 'gzip data';
  if (prefix[0] === 0x50 && prefix[1] === 0x4b) return 'a ZIP archive';
  if (prefix[0] === 0x25 && prefix[1] === 0x50 && prefix[2] === 0x44 && prefix[3] === 0x46) return 'a PDF';
  return 'an unknown format';
}
