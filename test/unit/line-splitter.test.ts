import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { splitLines } from '../../core/list/line-splitter.js';

type Piece = string | Buffer;
interface Line {
  number: number;
  text: string;
  overLong: boolean;
}

async function* chunks(pieces: Piece[]): AsyncGenerator<Buffer> {
  for (const piece of pieces) yield typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
}

async function split(pieces: Piece[], maxLineBytes = 64): Promise<Line[]> {
  const lines: Line[] = [];
  for await (const raw of splitLines(chunks(pieces), maxLineBytes)) {
    lines.push({ number: raw.number, text: raw.bytes.toString('utf8'), overLong: raw.overLong });
  }
  return lines;
}

/** The same bytes as one piece per byte: every boundary a chunk boundary. */
function byteByByte(text: string): Buffer[] {
  return Array.from(Buffer.from(text, 'utf8'), (byte) => Buffer.from([byte]));
}

const ok = (number: number, text: string): Line => ({ number, text, overLong: false });
const long = (number: number, text: string): Line => ({ number, text, overLong: true });

const BOM = '\uFEFF';

const cases: Array<[name: string, pieces: Piece[], maxLineBytes: number, expected: Line[]]> = [
  ['no input', [], 64, []],
  ['one empty chunk', [''], 64, []],
  ['LF endings', ['a\nb\n'], 64, [ok(1, 'a'), ok(2, 'b')]],
  ['last line without newline', ['a\nb'], 64, [ok(1, 'a'), ok(2, 'b')]],
  ['CRLF endings', ['a\r\nb\r\n'], 64, [ok(1, 'a'), ok(2, 'b')]],
  ['mixed endings, last without newline', ['a\r\nb\nc'], 64, [ok(1, 'a'), ok(2, 'b'), ok(3, 'c')]],
  ['CR inside a line kept', ['a\rb\n'], 64, [ok(1, 'a\rb')]],
  ['only a newline', ['\n'], 64, [ok(1, '')]],
  ['blank lines numbered', ['a\n\n\r\nb'], 64, [ok(1, 'a'), ok(2, ''), ok(3, ''), ok(4, 'b')]],
  ['leading BOM stripped', [`${BOM}a\nb\n`], 64, [ok(1, 'a'), ok(2, 'b')]],
  ['leading BOM alone in first chunk', [BOM, 'a\n'], 64, [ok(1, 'a')]],
  ['leading BOM split over chunks', [Buffer.from([0xef]), Buffer.from([0xbb, 0xbf]), 'a\n'], 64, [ok(1, 'a')]],
  ['BOM after an empty first chunk', ['', `${BOM}a\n`], 64, [ok(1, 'a')]],
  ['BOM not at the start is content', [`a\n${BOM}b\n`], 64, [ok(1, 'a'), ok(2, `${BOM}b`)]],
  ['line split across chunks', ['ab', 'c\nd', 'e\n'], 64, [ok(1, 'abc'), ok(2, 'de')]],
  ['CR and LF in different chunks', ['a\r', '\nb'], 64, [ok(1, 'a'), ok(2, 'b')]],
  ['newline at the start of a chunk', ['a', '\nb', '\n'], 64, [ok(1, 'a'), ok(2, 'b')]],
  [
    'multi-byte character split across chunks',
    [Buffer.from([0x63, 0x61, 0x66, 0xc3]), Buffer.from([0xa9, 0x0a])],
    64,
    [ok(1, 'café')],
  ],
  [
    'byte by byte, with BOM and CRLF',
    byteByByte(`${BOM}https://a.example/x\r\n\r\né\ny`),
    64,
    [ok(1, 'https://a.example/x'), ok(2, ''), ok(3, 'é'), ok(4, 'y')],
  ],
  // Length limits: maxLineBytes counts the line without its ending.
  ['exactly the limit', ['abcd\n'], 4, [ok(1, 'abcd')]],
  ['exactly the limit with CRLF', ['abcd\r\n'], 4, [ok(1, 'abcd')]],
  ['exactly the limit with CRLF split before LF', ['abcd\r', '\n'], 4, [ok(1, 'abcd')]],
  ['one byte over', ['abcde\nok\n'], 4, [long(1, 'abcd'), ok(2, 'ok')]],
  ['one byte over, the extra byte a CR inside', ['abcd\rx\n'], 4, [long(1, 'abcd')]],
  ['one byte over with CRLF', ['abcde\r\nok'], 4, [long(1, 'abcd'), ok(2, 'ok')]],
  ['over-long last line without newline', ['ok\nabcdefgh'], 4, [ok(1, 'ok'), long(2, 'abcd')]],
  ['over-long line over many chunks', ['ab', 'cd', 'ef', 'gh', '\nok\n'], 4, [long(1, 'abcd'), ok(2, 'ok')]],
  ['over-long line then CRLF in its own chunk', ['abcdefgh', '\r\n', 'ok'], 4, [long(1, 'abcd'), ok(2, 'ok')]],
];

describe('splitLines', () => {
  for (const [name, pieces, maxLineBytes, expected] of cases) {
    test(name, async () => {
      assert.deepEqual(await split(pieces, maxLineBytes), expected);
    });
  }

  const partialBoms: Array<[name: string, pieces: Buffer[], expected: number[][]]> = [
    ['only the start of a BOM is content', [Buffer.from([0xef, 0xbb])], [[0xef, 0xbb]]],
    ['the start of a BOM, then other bytes, is content', [Buffer.from([0xef]), Buffer.from('a\n')], [[0xef, 0x61]]],
    [
      'a BOM byte after an empty line is content',
      [Buffer.from('\n'), Buffer.from([0xef, 0xbb, 0xbf])],
      [[], [0xef, 0xbb, 0xbf]],
    ],
  ];
  for (const [name, pieces, expected] of partialBoms) {
    test(name, async () => {
      const lines: number[][] = [];
      for await (const raw of splitLines(chunks(pieces), 64)) lines.push([...raw.bytes]);
      assert.deepEqual(lines, expected);
    });
  }

  test('chunking never changes the result', async () => {
    const text = `${BOM}https://a.example/1.jpg\r\n# comment\n\nhttps://b.example/é.png\r\n${'x'.repeat(40)}\nlast`;
    const whole = await split([text], 16);
    assert.equal(whole.length, 6);
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 7, 16, 17, 64]) {
      const pieces: Buffer[] = [];
      for (let offset = 0; offset < bytes.length; offset += size) pieces.push(bytes.subarray(offset, offset + size));
      assert.deepEqual(await split(pieces, 16), whole, `chunks of ${size} bytes`);
    }
  });

  test('a huge line yields at most maxLineBytes of it', async () => {
    const block = Buffer.alloc(64 * 1024, 0x61);
    const pieces = [...Array.from({ length: 160 }, () => block), Buffer.from('\nhttps://a.example/x\n')]; // a 10 MiB line
    const lines: Array<{ number: number; length: number; overLong: boolean }> = [];
    for await (const raw of splitLines(chunks(pieces), 1000))
      lines.push({ number: raw.number, length: raw.bytes.length, overLong: raw.overLong });
    assert.deepEqual(lines, [
      { number: 1, length: 1000, overLong: true },
      { number: 2, length: 'https://a.example/x'.length, overLong: false },
    ]);
  });

  test('memory stays bounded while a huge line streams through', async () => {
    const block = Buffer.alloc(64 * 1024, 0x61); // the same block again and again: the feeder allocates nothing
    const blocks = 160; // a 10 MiB line
    let baseline = 0;
    let growth = 0;
    const feed = async function* (): AsyncGenerator<Buffer> {
      for (let i = 0; i < blocks; i++) {
        if (i === 10) baseline = process.memoryUsage().arrayBuffers;
        if (i === blocks - 1) growth = process.memoryUsage().arrayBuffers - baseline; // everything the splitter holds is still referenced here
        yield block;
      }
      yield Buffer.from('\n');
    };
    const lengths = [];
    for await (const raw of splitLines(feed(), 1000)) lengths.push(raw.bytes.length);
    assert.deepEqual(lengths, [1000]);
    assert.ok(growth < 2 * 1024 * 1024, `splitter grew by ${growth} bytes while reading one 10 MiB line`);
  });

  test("a yielded line does not keep the caller's chunk alive", async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    chunk.write('short\n', 0);
    const [first] = await (async () => {
      const out = [];
      for await (const raw of splitLines(chunks([chunk]), 64)) out.push(raw);
      return out;
    })();
    assert.ok(first);
    assert.equal(first.bytes.toString(), 'short');
    assert.notEqual(first.bytes.buffer, chunk.buffer);
  });

  test('accepts a Readable as its source', async () => {
    const lines = [];
    for await (const raw of splitLines(Readable.from([Buffer.from('a\r\nb'), Buffer.from('c\n')]), 64))
      lines.push(raw.bytes.toString());
    assert.deepEqual(lines, ['a', 'bc']);
  });
});
