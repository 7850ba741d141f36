import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BINARY_SNIFF_BYTES,
  type SniffResult,
  sniffImageType,
  TEXT_SNIFF_BYTES,
} from '../../core/image/sniff-image-type.js';

type Part = string | number[];

/** Bytes from ASCII strings and byte arrays, padded to `length` with `fill`. */
function bytes(parts: Part[], length = 0, fill = 0x00): Uint8Array {
  const body = Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );
  return body.length >= length ? body : Buffer.concat([body, Buffer.alloc(length - body.length, fill)]);
}

const text = (value: string, length = 0): Uint8Array => bytes([value], length, 0x20);
const u32 = (value: number): number[] => [
  (value >>> 24) & 0xff,
  (value >>> 16) & 0xff,
  (value >>> 8) & 0xff,
  value & 0xff,
];
/** An ISO-BMFF `ftyp` box: size, 'ftyp', major brand, minor version, compatible brands. */
const ftyp = (major: string, compatible: string[], size = 16 + 4 * compatible.length): Part[] => [
  u32(size),
  'ftyp',
  major,
  [0, 0, 0, 0],
  ...compatible,
];

const image = (type: Extract<SniffResult, { verdict: 'image' }>['type']): SniffResult => ({ verdict: 'image', type });
const notImage = (looksLike: string): SniffResult => ({ verdict: 'not-image', looksLike });
const needMore: SniffResult = { verdict: 'need-more' };
const svgRefused: SniffResult = { verdict: 'svg-refused' };

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n';
const SVG_DOCTYPE =
  '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n';
const ILLUSTRATOR_DOCTYPE =
  '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n' +
  '\t<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">\n' +
  '\t<!ENTITY ns_ai "http://ns.adobe.com/AdobeIllustrator/10.0/">\n]>\n';

// [name, body prefix, complete, allowSvg, expected]
const cases: Array<[name: string, prefix: Uint8Array, complete: boolean, allowSvg: boolean, expected: SniffResult]> = [
  // Binary formats.
  ['JPEG (JFIF)', bytes([[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF'], 64), false, false, image('jpeg')],
  ['JPEG (Exif)', bytes([[0xff, 0xd8, 0xff, 0xe1], [0x00, 0x10], 'Exif'], 64), false, false, image('jpeg')],
  ['JPEG, whole body of 3 bytes', bytes([[0xff, 0xd8, 0xff]]), true, false, image('jpeg')],
  ['PNG', bytes([[0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a], u32(13), 'IHDR'], 64), false, false, image('png')],
  [
    'PNG signature with a broken byte',
    bytes([[0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x00]], 64),
    false,
    false,
    notImage('an unknown format'),
  ],
  ['GIF87a', bytes(['GIF87a', [0x01, 0x00, 0x01, 0x00]], 64), false, false, image('gif')],
  ['GIF89a', bytes(['GIF89a', [0x01, 0x00, 0x01, 0x00]], 64), false, false, image('gif')],
  ['GIF88a is not GIF', bytes(['GIF88a'], 64), false, false, notImage('an unknown format')],
  ['WebP', bytes(['RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '], 64), false, false, image('webp')],
  [
    'RIFF WAVE is not WebP',
    bytes(['RIFF', [0x24, 0, 0, 0], 'WAVEfmt '], 64),
    false,
    false,
    notImage('an unknown format'),
  ],
  ['AVIF, major brand avif', bytes(ftyp('avif', ['mif1', 'miaf']), 64), false, false, image('avif')],
  ['AVIF sequence, major brand avis', bytes(ftyp('avis', ['msf1', 'miaf']), 64), false, false, image('avif')],
  ['AVIF as a compatible brand', bytes(ftyp('mif1', ['mif1', 'miaf', 'avif']), 64), false, false, image('avif')],
  ['HEIC is not AVIF', bytes(ftyp('heic', ['mif1', 'heic']), 64), false, false, notImage('an unknown format')],
  ['MP4 is not AVIF', bytes(ftyp('isom', ['isom', 'iso2', 'mp41']), 64), false, false, notImage('an unknown format')],
  [
    '"avif" past the end of the ftyp box is not a brand',
    bytes([...ftyp('mif1', []), u32(12), 'avif'], 64),
    false,
    false,
    notImage('an unknown format'),
  ],
  [
    'minor version "avif" is not a brand',
    bytes([u32(16), 'ftyp', 'mif1', 'avif'], 64),
    false,
    false,
    notImage('an unknown format'),
  ],
  ['BMP', bytes(['BM', u32(0x36000000), [0, 0, 0, 0], [0x36, 0, 0, 0]], 64), false, false, image('bmp')],
  ['"BM" and too short for a BMP header', bytes(['BM', [0, 0, 0]]), true, false, notImage('an unknown format')],
  ['TIFF little-endian', bytes([[0x49, 0x49, 0x2a, 0x00, 0x08, 0, 0, 0]], 64), false, false, image('tiff')],
  ['TIFF big-endian', bytes([[0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 0x08]], 64), false, false, image('tiff')],
  ['ICO', bytes([[0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x10, 0x10]], 64), false, false, image('ico')],
  ['CUR', bytes([[0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x20, 0x20]], 64), false, false, image('ico')],
  [
    'ICO header with zero images',
    bytes([[0x00, 0x00, 0x01, 0x00, 0x00, 0x00]], 64),
    false,
    false,
    notImage('an unknown format'),
  ],
  ['all zero bytes', bytes([], 64), false, false, notImage('an unknown format')],

  // SVG, allowed and refused.
  ['SVG allowed', text(`<svg ${SVG_NS} width="10" height="10"></svg>`), true, true, image('svg')],
  ['SVG refused', text(`<svg ${SVG_NS} width="10" height="10"></svg>`), true, false, svgRefused],
  ['SVG with XML declaration, allowed', text(`${XML_DECL}<svg ${SVG_NS}>`, 200), false, true, image('svg')],
  ['SVG with XML declaration, refused', text(`${XML_DECL}<svg ${SVG_NS}>`, 200), false, false, svgRefused],
  [
    'SVG after a comment',
    text(`${XML_DECL}<!-- Generator: Adobe Illustrator 27.0 -->\n<svg ${SVG_NS}>`),
    false,
    true,
    image('svg'),
  ],
  ['SVG after a DOCTYPE', text(`${XML_DECL}${SVG_DOCTYPE}<svg ${SVG_NS}>`), false, true, image('svg')],
  ['SVG after a DOCTYPE, refused', text(`${XML_DECL}${SVG_DOCTYPE}<svg ${SVG_NS}>`), false, false, svgRefused],
  [
    'SVG after a DOCTYPE with an internal subset (Illustrator)',
    text(`${XML_DECL}<!-- Generator -->\n${ILLUSTRATOR_DOCTYPE}<svg ${SVG_NS}>`),
    false,
    true,
    image('svg'),
  ],
  [
    'SVG after a DOCTYPE with an internal subset, refused',
    text(`${XML_DECL}${ILLUSTRATOR_DOCTYPE}<svg ${SVG_NS}>`),
    false,
    false,
    svgRefused,
  ],
  [
    'SVG after a processing instruction',
    text(`${XML_DECL}<?xml-stylesheet href="s.css"?>\n<svg ${SVG_NS}>`),
    false,
    true,
    image('svg'),
  ],
  [
    'SVG with a UTF-8 BOM and whitespace',
    bytes([[0xef, 0xbb, 0xbf], `\r\n  ${XML_DECL}<svg>`], 64, 0x20),
    false,
    true,
    image('svg'),
  ],
  ['namespaced svg:svg root', text(`<svg:svg xmlns:svg="http://www.w3.org/2000/svg">`), true, true, image('svg')],
  ['self-closing <svg/>', text('<svg/>'), true, true, image('svg')],
  ['<svgfoo> is not SVG', text('<svgfoo></svgfoo>'), true, true, notImage('XML or HTML')],
  ['upper-case <SVG> is not SVG (XML is case-sensitive)', text('<SVG></SVG>'), true, true, notImage('XML or HTML')],
  ['other XML', text(`${XML_DECL}<rss version="2.0"><channel>`), true, true, notImage('XML or HTML')],
  [
    'HTML with inline SVG is HTML',
    text('<!DOCTYPE html><html><body><svg></svg></body></html>'),
    true,
    true,
    notImage('HTML'),
  ],

  // Other bodies.
  ['HTML', text('<!DOCTYPE html>\n<html lang="en"><head><title>404</title>'), false, false, notImage('HTML')],
  [
    'HTML without doctype, upper case, indented',
    text('\n  <HTML><HEAD><TITLE>Error</TITLE>'),
    false,
    false,
    notImage('HTML'),
  ],
  ['JSON object', text('{"error":"not found","status":404}'), true, false, notImage('JSON')],
  ['JSON array', text('[1,2,3]'), true, false, notImage('JSON')],
  ['empty body', bytes([]), true, true, notImage('an empty body')],
  ['whitespace-only body', text('   \n'), true, true, notImage('an unknown format')],
  ['gzip', bytes([[0x1f, 0x8b, 0x08, 0x00]], 64), false, false, notImage('gzip data')],
  ['ZIP', bytes(['PK', [0x03, 0x04]], 64), false, false, notImage('a ZIP archive')],
  ['PDF', text('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj', 64), false, false, notImage('a PDF')],
  ['plain text', text('Service Unavailable, try again later'), true, false, notImage('an unknown format')],

  // Prefixes too short to decide.
  ['empty, more to come', bytes([]), false, false, needMore],
  ['two JPEG bytes, more to come', bytes([[0xff, 0xd8]]), false, false, needMore],
  ['PNG signature alone, more to come', bytes([[0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]]), false, false, needMore],
  ['PNG signature alone, complete', bytes([[0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]]), true, false, image('png')],
  [
    `${BINARY_SNIFF_BYTES - 1} bytes of HTML, more to come`,
    text('<html>', BINARY_SNIFF_BYTES - 1),
    false,
    false,
    needMore,
  ],
  ['XML declaration then whitespace, more to come', text(XML_DECL, 200), false, true, needMore],
  ['XML declaration then whitespace, complete', text(XML_DECL, 200), true, true, notImage('XML or HTML')],
  ['unterminated comment, more to come', text(`<!-- ${'x'.repeat(100)}`), false, true, needMore],
  ['unterminated comment, complete', text(`<!-- ${'x'.repeat(100)}`), true, true, notImage('XML or HTML')],
  [
    'unterminated internal subset, more to come',
    text(`${XML_DECL}<!DOCTYPE svg [\n<!ENTITY a "b">\n`),
    false,
    true,
    needMore,
  ],
  ['"<sv" then more to come', text('<?xml version="1.0"?>\n\n\n\n\n\n\n\n\n\n\n<sv'), false, true, needMore],
  [
    `comments past ${TEXT_SNIFF_BYTES} bytes: decided, not more`,
    text(`<!-- ${'x'.repeat(TEXT_SNIFF_BYTES)} --><svg>`),
    false,
    true,
    notImage('XML or HTML'),
  ],
];

describe('sniffImageType', () => {
  for (const [name, prefix, complete, allowSvg, expected] of cases) {
    test(name, () => {
      assert.deepEqual(sniffImageType(prefix, complete, { allowSvg }), expected);
    });
  }

  test('a verdict on an incomplete prefix does not change when more bytes follow', () => {
    let checked = 0;
    for (const [name, prefix, complete, allowSvg, expected] of cases) {
      if (expected.verdict === 'need-more' || complete) continue;
      checked += 1;
      const longer = Buffer.concat([prefix, Buffer.alloc(512, 0x41)]);
      assert.deepEqual(sniffImageType(longer, false, { allowSvg }), expected, name);
    }
    assert.ok(checked >= 30, `only ${checked} rows checked`);
  });

  test('binary verdicts are reached with exactly BINARY_SNIFF_BYTES', () => {
    let checked = 0;
    for (const [name, prefix, , allowSvg, expected] of cases) {
      if (expected.verdict !== 'image' || expected.type === 'svg' || prefix.length < BINARY_SNIFF_BYTES) continue;
      checked += 1;
      assert.deepEqual(sniffImageType(prefix.subarray(0, BINARY_SNIFF_BYTES), false, { allowSvg }), expected, name);
    }
    assert.ok(checked >= 10, `only ${checked} rows checked`);
  });
});
