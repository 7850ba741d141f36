import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { judgeListProbe, LIST_PROBE_BYTES } from '../../core/list/judge-list-probe.js';
import { makePng, seededBytes } from '../../harness/origin/sample-images.js';

const LIST = 'https://a.example/1.jpg\n# a comment\nhttps://b.example/2.png\n';
const bytes = (...values: number[]): Buffer => Buffer.from(values);
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const withTail = (head: Buffer, tail = 64): Buffer => Buffer.concat([head, Buffer.alloc(tail, 0x41)]);

/** A text list with `count` NULs spread over it (a stray NUL per garbage line, not a binary file). */
function listWithNuls(length: number, count: number): Buffer {
  const list = Buffer.alloc(length, 0x61);
  for (let i = 40; i < length; i += 41) list[i] = 0x0a;
  for (let n = 0; n < count; n++) list[Math.floor(((n + 0.5) * length) / count)] = 0;
  return list;
}

const text: Array<[name: string, probe: Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['a plain list', Buffer.from(LIST)],
  ['a list with a UTF-8 BOM', Buffer.concat([bytes(0xef, 0xbb, 0xbf), Buffer.from(LIST)])],
  ['one NUL inside a URL', Buffer.from(`https://a.example/x\u0000y.jpg\n${LIST}`)],
  [
    'Latin-1 and invalid UTF-8 lines',
    Buffer.concat([
      Buffer.from(LIST),
      ascii('http://b\xfccher.example/\xe9.jpg\n'),
      bytes(0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x0a),
    ]),
  ],
  [
    'lines of random bytes among URLs (about 1 NUL in 256)',
    Buffer.concat([Buffer.from(LIST), seededBytes(3000, 'garbage'), Buffer.from(`\n${LIST}`)]),
  ],
  ['NULs just under the share (9.9%)', listWithNuls(8000, 792)],
  ['a first line starting "BM" (not a bitmap: no zero reserved field)', Buffer.from(`BMW photos\n${LIST}`)],
  ['a first line starting "MZ" with no NUL', Buffer.from(`MZ-list\n${LIST}`)],
  ['a first line starting "RIFF" (no size, no form type)', Buffer.from(`RIFF http://a.example/riff.jpg\n${LIST}`)],
  ['a first line starting "ID3" (no version byte)', Buffer.from(`ID3 http://a.example/tag.jpg\n${LIST}`)],
  [
    'an SVG document (text; the downloader judges it, not the list reader)',
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'),
  ],
];

const binary: Array<[name: string, probe: Buffer, reason: RegExp, wideText?: boolean]> = [
  ['a PNG', makePng('list'), /^a PNG image$/],
  ['a JPEG', withTail(bytes(0xff, 0xd8, 0xff, 0xe0)), /^a JPEG image$/],
  ['a GIF', withTail(ascii('GIF89a')), /^a GIF image$/],
  ['a WebP', withTail(Buffer.concat([ascii('RIFF'), bytes(0x24, 0, 0, 0), ascii('WEBPVP8 ')])), /^a WEBP image$/],
  ['a BMP', withTail(Buffer.concat([ascii('BM'), bytes(0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0)])), /^a BMP image$/],
  ['a TIFF', withTail(bytes(0x49, 0x49, 0x2a, 0x00)), /^a TIFF image$/],
  ['an ICO', withTail(bytes(0, 0, 1, 0, 1, 0)), /^a ICO image$/],
  ['gzip', gzipSync(Buffer.from(LIST)), /^gzip data$/],
  ['a ZIP', withTail(bytes(0x50, 0x4b, 3, 4, 0x14, 0)), /ZIP archive/],
  ['an empty ZIP', withTail(bytes(0x50, 0x4b, 5, 6)), /ZIP archive/],
  ['a PDF', ascii('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'), /^a PDF$/],
  ['an ELF executable', withTail(bytes(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0)), /ELF/],
  ['a Windows executable', withTail(Buffer.concat([ascii('MZ'), bytes(0x90, 0, 3, 0)])), /Windows executable/],
  ['a Mach-O executable', withTail(bytes(0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1)), /Mach-O/],
  ['bzip2', withTail(ascii('BZh91AY&SY')), /^bzip2 data$/],
  ['xz', withTail(bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)), /^xz data$/],
  ['zstd', withTail(bytes(0x28, 0xb5, 0x2f, 0xfd)), /^zstd data$/],
  ['7-Zip', withTail(bytes(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)), /7-Zip/],
  ['RAR', withTail(Buffer.concat([ascii('Rar!'), bytes(0x1a, 0x07, 0x01, 0x00)])), /RAR/],
  [
    'a tar archive (a list file tarred by mistake)',
    Buffer.concat([Buffer.from('list.txt'), Buffer.alloc(249), ascii('ustar\x0000'), Buffer.alloc(100, 0x30)]),
    /tar archive/,
  ],
  ['SQLite', withTail(ascii('SQLite format 3\x00')), /SQLite/],
  ['WebAssembly', withTail(bytes(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)), /WebAssembly/],
  ['an MP4', withTail(Buffer.concat([bytes(0, 0, 0, 0x18), ascii('ftypisom')])), /MP4/],
  ['a WAV', withTail(Buffer.concat([ascii('RIFF'), bytes(0xff, 0xff, 0xff, 0x7f), ascii('WAVEfmt ')])), /RIFF/],
  ['an Ogg', withTail(Buffer.concat([ascii('OggS'), bytes(0, 2)])), /Ogg/],
  ['a FLAC', withTail(Buffer.concat([ascii('fLaC'), bytes(0, 0, 0, 0x22)])), /FLAC/],
  ['an MP3 with ID3', withTail(Buffer.concat([ascii('ID3'), bytes(4, 0, 0)])), /MP3/],
  ['a Matroska file', withTail(bytes(0x1a, 0x45, 0xdf, 0xa3)), /Matroska/],
  ['NULs at the share (10%)', listWithNuls(8000, 800), /^800 of its first 8000 bytes are NUL$/],
  ['a binary blob of zeros', Buffer.alloc(20_000), /^8000 of its first 8000 bytes are NUL$/],
  ['a lone NUL', bytes(0), /^1 of its first 1 bytes are NUL$/],
  ['NUL and a newline', bytes(0, 0x0a), /^1 of its first 2 bytes are NUL$/],
  [
    'UTF-16LE with BOM',
    Buffer.concat([bytes(0xff, 0xfe), Buffer.from(LIST, 'utf16le')]),
    /^UTF-16 text \(little-endian, byte order mark FF FE\)$/,
    true,
  ],
  [
    'UTF-16BE with BOM',
    Buffer.concat([bytes(0xfe, 0xff), Buffer.from(LIST, 'utf16le').swap16()]),
    /^UTF-16 text \(big-endian, byte order mark FE FF\)$/,
    true,
  ],
  ['UTF-16LE without BOM', Buffer.from(LIST, 'utf16le'), /^UTF-16 text \(little-endian, no byte order mark\)$/, true],
  [
    'UTF-16BE without BOM',
    Buffer.from(LIST, 'utf16le').swap16(),
    /^UTF-16 text \(big-endian, no byte order mark\)$/,
    true,
  ],
  [
    'UTF-32LE with BOM',
    Buffer.concat([bytes(0xff, 0xfe, 0, 0), bytes(0x68, 0, 0, 0)]),
    /^UTF-32 text \(little-endian/,
    true,
  ],
  [
    'UTF-32BE with BOM',
    Buffer.concat([bytes(0, 0, 0xfe, 0xff), bytes(0, 0, 0, 0x68)]),
    /^UTF-32 text \(big-endian/,
    true,
  ],
];

describe('judgeListProbe: a text list is read line by line, only a clearly non-text file is refused whole', () => {
  for (const [name, probe] of text) {
    test(`text: ${name}`, () => {
      assert.deepEqual(judgeListProbe(probe), { kind: 'text' });
    });
  }
  for (const [name, probe, reason, wideText = false] of binary) {
    test(`refused: ${name}`, () => {
      const verdict = judgeListProbe(probe);
      assert.ok(verdict.kind === 'binary', `${name} judged ${verdict.kind}`);
      assert.match(verdict.reason, reason);
      assert.equal(verdict.wideText, wideText);
    });
  }

  test('only the first LIST_PROBE_BYTES count: a blob of NULs after them does not make a list binary', () => {
    const list = Buffer.concat([Buffer.alloc(LIST_PROBE_BYTES, 0x23), Buffer.alloc(LIST_PROBE_BYTES)]);
    assert.deepEqual(judgeListProbe(list), { kind: 'text' });
  });
});
