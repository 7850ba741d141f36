import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';
import type { ListSource } from '../../core/list/list-source.js';
import { openListSource } from '../../core/list/open-list-source.js';
import { type ListEntry, readUrlList } from '../../core/list/read-url-list.js';

type Piece = string | Buffer;

interface TestSource extends ListSource {
  closed: number;
}

function sourceOf(pieces: Piece[]): TestSource {
  const source: TestSource = {
    name: 'test-list',
    chunks: (async function* () {
      for (const piece of pieces) yield typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    })(),
    closed: 0,
    close: async () => {
      source.closed += 1;
    },
  };
  return source;
}

async function readAll(pieces: Piece[], maxLineBytes?: number): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  for await (const entry of readUrlList(sourceOf(pieces), maxLineBytes === undefined ? {} : { maxLineBytes }))
    entries.push(entry);
  return entries;
}

/** Reads until the list throws; returns what was yielded before and the error. */
async function readUntilError(source: ListSource): Promise<{ entries: ListEntry[]; error: unknown }> {
  const entries: ListEntry[] = [];
  try {
    for await (const entry of readUrlList(source)) entries.push(entry);
  } catch (error) {
    return { entries, error };
  }
  return { entries, error: undefined };
}

function byteByByte(bytes: Buffer): Buffer[] {
  return inChunks(bytes, 1);
}

function inChunks(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}

const A = 'https://a.example/1.jpg';
const B = 'https://b.example/2.png';
const C = 'http://c.example/3.gif';

const cases: Array<[name: string, pieces: Piece[], expected: ListEntry[]]> = [
  ['empty list', [], []],
  [
    'URLs, comments and blank lines',
    [`# header\n${A}\n\n   \n${B}\n# ${C}\n${C}`],
    [
      { kind: 'url', url: A, line: 2 },
      { kind: 'url', url: B, line: 5 },
      { kind: 'url', url: C, line: 7 },
    ],
  ],
  [
    'CRLF, BOM, surrounding whitespace',
    [`\uFEFF${A}\r\n  ${B}\t\r\n`],
    [
      { kind: 'url', url: A, line: 1 },
      { kind: 'url', url: B, line: 2 },
    ],
  ],
  [
    'lines split across chunks',
    ['https://a.exa', 'mple/1.jpg\r', '\nhttps://b.example/2', '.png'],
    [
      { kind: 'url', url: A, line: 1 },
      { kind: 'url', url: B, line: 2 },
    ],
  ],
  ['URLs are normalised', ['HTTPS://A.EXAMPLE/1.jpg#top\n'], [{ kind: 'url', url: A, line: 1 }]],
  [
    'invalid lines reported with line, raw text and code',
    [`ftp://x.example/a.jpg\n${A}\n  example.com/a.jpg  \nhttps://u:p@x.example/\n`],
    [
      {
        kind: 'invalid',
        line: 1,
        raw: 'ftp://x.example/a.jpg',
        code: ErrorCode.UnsupportedScheme,
        reason: 'unsupported scheme "ftp:"; only http: and https: are fetched',
      },
      { kind: 'url', url: A, line: 2 },
      {
        kind: 'invalid',
        line: 3,
        raw: 'example.com/a.jpg',
        code: ErrorCode.InvalidUrl,
        reason: 'not an absolute URL (no scheme); did you mean https://example.com/a.jpg?',
      },
      {
        kind: 'invalid',
        line: 4,
        raw: 'https://u:p@x.example/',
        code: ErrorCode.CredentialsInUrl,
        reason: 'contains credentials (user:password@); they would be logged and stored, so such URLs are refused',
      },
    ],
  ],
  [
    'a duplicate repeated three times is reported once, with the first line',
    [`${A}\n${B}\n${A}\n${A}\n${A}\n`],
    [
      { kind: 'url', url: A, line: 1 },
      { kind: 'url', url: B, line: 2 },
      { kind: 'duplicate', url: A, line: 3, firstLine: 1 },
    ],
  ],
  [
    'duplicates after normalisation, interleaved',
    [`${A}\n${B}\nhttps://B.example/2.png#x\nhttps://a.example:443/1.jpg\n${B}\n`],
    [
      { kind: 'url', url: A, line: 1 },
      { kind: 'url', url: B, line: 2 },
      { kind: 'duplicate', url: B, line: 3, firstLine: 2 },
      { kind: 'duplicate', url: A, line: 4, firstLine: 1 },
    ],
  ],
  [
    'http and https of the same path are not duplicates',
    ['https://a.example/1.jpg\nhttp://a.example/1.jpg\n'],
    [
      { kind: 'url', url: 'https://a.example/1.jpg', line: 1 },
      { kind: 'url', url: 'http://a.example/1.jpg', line: 2 },
    ],
  ],
  [
    'invalid UTF-8 byte',
    [Buffer.from([0x68, 0xff, 0x0a]), `${A}\n`],
    [
      { kind: 'invalid', line: 1, raw: 'h\uFFFD', code: ErrorCode.InvalidEncoding, reason: 'not valid UTF-8' },
      { kind: 'url', url: A, line: 2 },
    ],
  ],
  [
    'overlong UTF-8 encoding of "/"',
    [Buffer.from([0x61, 0xc0, 0xaf, 0x0a])],
    [{ kind: 'invalid', line: 1, raw: 'a\uFFFD\uFFFD', code: ErrorCode.InvalidEncoding, reason: 'not valid UTF-8' }],
  ],
  [
    'truncated UTF-8 sequence at the end of the line',
    [Buffer.from([0x61, 0xe2, 0x82, 0x0d, 0x0a]), B],
    [
      { kind: 'invalid', line: 1, raw: 'a\uFFFD', code: ErrorCode.InvalidEncoding, reason: 'not valid UTF-8' },
      { kind: 'url', url: B, line: 2 },
    ],
  ],
  [
    'UTF-8 encoded surrogate',
    [Buffer.from([0xed, 0xa0, 0x80, 0x0a])],
    [
      {
        kind: 'invalid',
        line: 1,
        raw: '\uFFFD\uFFFD\uFFFD',
        code: ErrorCode.InvalidEncoding,
        reason: 'not valid UTF-8',
      },
    ],
  ],
  [
    'valid multi-byte character split byte by byte',
    byteByByte(Buffer.from('https://a.example/é.jpg\n', 'utf8')),
    [{ kind: 'url', url: 'https://a.example/%C3%A9.jpg', line: 1 }],
  ],
];

describe('readUrlList', () => {
  for (const [name, pieces, expected] of cases) {
    test(name, async () => {
      assert.deepEqual(await readAll(pieces), expected);
    });
  }

  test('an over-long line is reported as IMG_ERR_LINE_TOO_LONG with a short preview, and reading goes on', async () => {
    const longUrl = `https://a.example/${'x'.repeat(10_000)}.jpg`;
    const entries = await readAll([`${A}\n`, longUrl, `\n${B}\n`]);
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[0], { kind: 'url', url: A, line: 1 });
    assert.deepEqual(entries[2], { kind: 'url', url: B, line: 3 });
    const tooLong = entries[1];
    assert.ok(tooLong?.kind === 'invalid', JSON.stringify(tooLong));
    assert.equal(tooLong.code, ErrorCode.LineTooLong);
    assert.equal(tooLong.line, 2);
    assert.equal(tooLong.reason, 'line is longer than 8192 bytes');
    assert.equal(tooLong.raw, `${longUrl.slice(0, 200)}…`);
  });

  const limitCases: Array<[name: string, line: string, maxLineBytes: number, code: ErrorCode | 'url']> = [
    ['a line of exactly maxLineBytes is accepted', 'https://a.example/abc', 21, 'url'],
    ['a line of exactly maxLineBytes with CRLF is accepted', 'https://a.example/abc\r', 21, 'url'],
    ['one byte more is too long', 'https://a.example/abcd', 21, ErrorCode.LineTooLong],
    ['an over-long comment is still reported', `# ${'c'.repeat(30)}`, 21, ErrorCode.LineTooLong],
  ];
  for (const [name, line, maxLineBytes, expected] of limitCases) {
    test(name, async () => {
      const [entry, ...rest] = await readAll([`${line}\n`], maxLineBytes);
      assert.deepEqual(rest, []);
      assert.equal(entry?.kind === 'invalid' ? entry.code : entry?.kind, expected);
    });
  }

  // A file is refused whole only when its first 8000 bytes show it is not a text list (judgeListProbe has
  // the full table); a stray NUL in a text list costs its line only.
  const binaryCases: Array<[name: string, pieces: () => Buffer[], binary: RegExp | false]> = [
    [
      'NUL in the first byte (the whole file)',
      () => [Buffer.from([0x00, 0x0a])],
      /looks like a binary file \(1 of its first 2 bytes are NUL\)/,
    ],
    [
      'a PNG given as the list, in 3-byte chunks',
      () =>
        inChunks(
          Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
          3,
        ),
      /looks like a binary file \(a PNG image\)/,
    ],
    [
      'gzip, after 8000 bytes a text line',
      () => [Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(8000, 0x41), Buffer.from(`\n${A}\n`)],
      /\(gzip data\)/,
    ],
    [
      'UTF-16LE with BOM',
      () => [Buffer.from([0xff, 0xfe]), Buffer.from(`${A}\n${B}\n`, 'utf16le')],
      /looks like UTF-16 text \(little-endian, byte order mark FF FE\), which is not supported: a list must be UTF-8/,
    ],
    [
      'UTF-16LE without BOM, byte by byte',
      () => byteByByte(Buffer.from(`${A}\n`, 'utf16le')),
      /UTF-16 text \(little-endian, no byte order mark\)/,
    ],
    [
      'mostly NUL, in 13-byte chunks',
      () => inChunks(Buffer.concat([Buffer.from(`${A}\n`), Buffer.alloc(9000)]), 13),
      /\(7976 of its first 8000 bytes are NUL\)/,
    ],
    ['NUL after a valid line, same chunk', () => [Buffer.from(`${A}\n\u0000\n${B}\n`)], false],
    [
      'NUL after a valid line, next chunk',
      () => [Buffer.from(`${A}\n`), Buffer.from([0x00, 0x0a]), Buffer.from(`${B}\n`)],
      false,
    ],
    ['NUL at byte 7999, list in 13-byte chunks', () => inChunks(withNulAt(7999), 13), false],
    ['NUL at byte 8000 is past the probe', () => [withNulAt(8000)], false],
  ];
  for (const [name, pieces, binary] of binaryCases) {
    test(name, async () => {
      const source = sourceOf(pieces());
      const { entries, error } = await readUntilError(source);
      if (binary) {
        assert.ok(error instanceof ImageLoaderError, `expected IMG_ERR_LIST_BINARY, got ${String(error)}`);
        assert.equal(error.code, ErrorCode.ListBinary);
        assert.match(error.message, /^URL list test-list /);
        assert.match(error.message, binary);
        assert.deepEqual(entries, [], 'nothing may be yielded before a binary list is refused');
      } else {
        assert.equal(error, undefined);
        const nul = entries.find((entry) => entry.kind === 'invalid');
        assert.ok(nul?.kind === 'invalid', JSON.stringify(entries));
        assert.equal(nul.code, ErrorCode.InvalidUrl);
        assert.equal(nul.reason, 'contains control characters (NUL, escape or similar)');
        assert.equal(nul.raw, '\\x00', 'the NUL is shown escaped');
        assert.deepEqual(
          entries.filter((entry) => entry.kind !== 'invalid'),
          entries.filter((entry) => entry.kind === 'url'),
          'the other lines are URLs',
        );
      }
      assert.equal(source.closed, 1);
    });
  }

  test('a text list with garbage lines: each is its own error, every URL around them is read', async () => {
    const garbage = Buffer.from([0x00, 0x01, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x80]);
    const entries = await readAll([
      `${A}\n`,
      garbage,
      Buffer.from(`\n${B}\nhttp://x.example/a\u0000b.jpg\n\u001b]0;title\u0007\n${C}\n`),
    ]);
    assert.deepEqual(entries, [
      { kind: 'url', url: A, line: 1 },
      {
        kind: 'invalid',
        line: 2,
        raw: '\\x00\\x01\uFFFD\\x1b[2J\uFFFD',
        code: ErrorCode.InvalidEncoding,
        reason: 'not valid UTF-8',
      },
      { kind: 'url', url: B, line: 3 },
      {
        kind: 'invalid',
        line: 4,
        raw: 'http://x.example/a\\x00b.jpg',
        code: ErrorCode.InvalidUrl,
        reason: 'contains control characters (NUL, escape or similar)',
      },
      {
        kind: 'invalid',
        line: 5,
        raw: '\\x1b]0;title\\x07',
        code: ErrorCode.InvalidUrl,
        reason: 'contains control characters (NUL, escape or similar)',
      },
      { kind: 'url', url: C, line: 6 },
    ]);
  });

  test('the source is closed once when the reader stops early', async () => {
    const source = sourceOf([`${A}\n${B}\n${C}\n`]);
    for await (const entry of readUrlList(source)) {
      assert.equal(entry.kind, 'url');
      break;
    }
    assert.equal(source.closed, 1);
  });

  test('a source failing midway becomes IMG_ERR_LIST_UNREADABLE and is closed', async () => {
    const failure = new Error('EIO: i/o error, read');
    const source: TestSource = {
      name: 'broken-list',
      chunks: (async function* () {
        yield Buffer.from(`${A}\n# ${'-'.repeat(8100)}\n`); // past the binary probe, so lines flow before the failure
        throw failure;
      })(),
      closed: 0,
      close: async () => {
        source.closed += 1;
      },
    };
    const { entries, error } = await readUntilError(source);
    assert.deepEqual(entries, [{ kind: 'url', url: A, line: 1 }]);
    assert.ok(error instanceof ImageLoaderError);
    assert.equal(error.code, ErrorCode.ListUnreadable);
    assert.equal(error.cause, failure);
    assert.match(error.message, /broken-list/);
    assert.equal(source.closed, 1);
  });
});

/** A text list with a NUL byte at `offset` (comment lines before, so nothing there is binary). */
function withNulAt(offset: number): Buffer {
  const bytes = Buffer.alloc(offset + 2, 0x23); // '#'
  for (let i = 50; i < offset; i += 50) bytes[i] = 0x0a;
  bytes[offset - 1] = 0x0a;
  bytes[offset] = 0x00;
  bytes[offset + 1] = 0x0a;
  return bytes;
}

describe('openListSource', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'image-loader-list-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads a real file end to end', async () => {
    const path = join(dir, 'urls.txt');
    await writeFile(path, `\uFEFF# list\r\n${A}\r\n${B}\r\n${A}\r\n`);
    const source = await openListSource(path);
    assert.equal(source.name, path);
    const entries: ListEntry[] = [];
    for await (const entry of readUrlList(source)) entries.push(entry);
    assert.deepEqual(entries, [
      { kind: 'url', url: A, line: 2 },
      { kind: 'url', url: B, line: 3 },
      { kind: 'duplicate', url: A, line: 4, firstLine: 2 },
    ]);
  });

  test('a binary file is refused', async () => {
    const path = join(dir, 'image.png');
    await writeFile(path, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    const { entries, error } = await readUntilError(await openListSource(path));
    assert.deepEqual(entries, []);
    assert.ok(error instanceof ImageLoaderError);
    assert.equal(error.code, ErrorCode.ListBinary);
  });

  const unreadable: Array<[name: string, path: () => Promise<string>, message: RegExp]> = [
    ['missing file', async () => join(dir, 'missing.txt'), /cannot read URL list .*missing\.txt: no such file/],
    [
      'a directory',
      async () => {
        const path = join(dir, 'a-directory');
        await mkdir(path);
        return path;
      },
      /cannot read URL list .*a-directory/,
    ],
  ];
  for (const [name, makePath, message] of unreadable) {
    test(`${name} -> IMG_ERR_LIST_UNREADABLE`, async () => {
      const path = await makePath();
      await assert.rejects(openListSource(path), (error: unknown) => {
        assert.ok(error instanceof ImageLoaderError);
        assert.equal(error.code, ErrorCode.ListUnreadable);
        assert.match(error.message, message);
        assert.ok(error.cause !== undefined);
        return true;
      });
    });
  }

  test('"-" reads the given standard input', async () => {
    const stdin = Readable.from([Buffer.from(`${A}\n`), Buffer.from(B)]);
    const source = await openListSource('-', stdin);
    assert.equal(source.name, 'standard input');
    const entries: ListEntry[] = [];
    for await (const entry of readUrlList(source)) entries.push(entry);
    assert.deepEqual(entries, [
      { kind: 'url', url: A, line: 1 },
      { kind: 'url', url: B, line: 2 },
    ]);
  });
});
