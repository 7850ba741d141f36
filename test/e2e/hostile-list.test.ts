import assert from 'node:assert/strict';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LISTED_LIST_PROBLEMS } from '../../core/round/list-problem-cap.js';
import type { RoundSummary, UrlEntry } from '../../core/round/round-summary.js';
import { type CliResult, startCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng, seededBytes } from '../../harness/origin/sample-images.js';
import { trackPeakRss } from '../../harness/process-usage.js';
import { tempDir } from '../../harness/scratch-dir.js';

/**
 * Peak resident set allowed to a `fetch` process reading a hostile list.
 * Measured on this machine: ~100 MiB for a one-line list (Node, undici and
 * the store), 132 MiB with a 100 MB line, 117 MiB for 1,000,000 lines; the
 * million lines cost 685 MiB (864 MiB with --json) before invalid lines were
 * capped. A list that were held whole, or a line buffered whole, exceeds it.
 */
const PEAK_RSS_LIMIT_MIB = 200;

interface MeasuredRun extends CliResult {
  elapsedMs: number;
  peakRssMib: number;
}

/** Runs `fetch`, sampling its peak RSS (VmHWM) as it runs. */
async function measuredFetch(args: string[], timeoutMs = 60_000): Promise<MeasuredRun> {
  const startedAt = Date.now();
  const cli = startCli(['fetch', ...args], { timeoutMs });
  const rss = trackPeakRss(cli.child.pid!);
  const result = await cli.done;
  const peakKib = rss.stop();
  assert.ok(peakKib !== undefined, 'the peak RSS was read from /proc');
  return { ...result, elapsedMs: Date.now() - startedAt, peakRssMib: peakKib / 1024 };
}

/** Random bytes (seeded) that stay on one line and are not a comment: no LF/CR, a NUL first. */
function garbageLine(length: number, seed: string): Buffer {
  const bytes = seededBytes(length, seed);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a || bytes[i] === 0x0d) bytes[i] = 0x00;
  bytes[0] = 0x00;
  return bytes;
}

describe('fetch: hostile URL lists', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  const images = new Map<string, Buffer>();

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    for (const name of ['g1', 'g2', 'g3', 'g4', 'g5', '%C3%A9t%C3%A9']) {
      const body = makePng(name, 8 + images.size);
      images.set(`/${name}.png`, body);
      origin.set(`/${name}.png`, { kind: 'image', body });
    }
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const store = (name: string): string => join(dir.path, name);
  const entryAt = (summary: RoundSummary, line: number): UrlEntry => {
    const found = summary.entries.find((entry) => entry.line === line);
    assert.ok(found, `an entry for line ${line}`);
    return found;
  };
  const assertStoredExact = async (
    summary: RoundSummary,
    storeRoot: string,
    line: number,
    path: string,
  ): Promise<void> => {
    const entry = entryAt(summary, line);
    assert.equal(entry.status, 'downloaded', `line ${line}: ${JSON.stringify(entry.error)}`);
    assert.equal(entry.url, `${origin.url}${path}`);
    assert.ok(
      (await readFile(join(storeRoot, entry.path!))).equals(images.get(path)!),
      `line ${line} stored byte-exact`,
    );
  };

  it('garbage, NUL, Latin-1, invalid UTF-8, a BOM, credentials, foreign schemes, escapes: each line its own error, every good image stored', async () => {
    const u = origin.url;
    const hostPort = u.slice('http://'.length);
    // [line text, expected code or 'good' with its path]; line numbers follow from the order.
    const lines: Array<[Buffer | string, string]> = [
      [`\uFEFF${u}/g1.png`, '/g1.png'], // UTF-8 BOM in front of the first URL
      [garbageLine(300, 'garbage 1'), 'IMG_ERR_INVALID_ENCODING'],
      [`${u}/g2.png\r`, '/g2.png'], // a CRLF line among LF ones
      [`${u}/g3\u0000.png`, 'IMG_ERR_INVALID_URL'], // NUL inside a URL
      [Buffer.from(`http://${hostPort}/caf\xe9.png`, 'latin1'), 'IMG_ERR_INVALID_ENCODING'], // Latin-1 é
      [
        Buffer.concat([Buffer.from(`${u}/`), Buffer.from([0xc0, 0xaf]), Buffer.from('.png')]),
        'IMG_ERR_INVALID_ENCODING',
      ], // overlong "/"
      [
        Buffer.concat([Buffer.from(`${u}/`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('.png')]),
        'IMG_ERR_INVALID_ENCODING',
      ], // UTF-8 surrogate
      [Buffer.concat([Buffer.from(`${u}/`), Buffer.from([0xe2, 0x82])]), 'IMG_ERR_INVALID_ENCODING'], // truncated sequence at the end
      [`${u}/été.png`, '/%C3%A9t%C3%A9.png'], // valid UTF-8 in the path: percent-encoded, downloaded
      [garbageLine(500, 'garbage 2'), 'IMG_ERR_INVALID_ENCODING'],
      [`http://user:secret@${hostPort}/g1.png`, 'IMG_ERR_CREDENTIALS_IN_URL'],
      [`http://:token@${hostPort}/g1.png`, 'IMG_ERR_CREDENTIALS_IN_URL'],
      [`${u}/g3.png`, '/g3.png'],
      ['file:///etc/passwd', 'IMG_ERR_UNSUPPORTED_SCHEME'],
      [`ftp://${hostPort}/g1.png`, 'IMG_ERR_UNSUPPORTED_SCHEME'],
      [`data:image/png;base64,${images.get('/g1.png')!.toString('base64')}`, 'IMG_ERR_UNSUPPORTED_SCHEME'],
      ['javascript:alert(document.cookie)', 'IMG_ERR_UNSUPPORTED_SCHEME'],
      ['JaVaScRiPt:alert(1)', 'IMG_ERR_UNSUPPORTED_SCHEME'],
      ['http://xn--iñvalid.example/a.png', 'IMG_ERR_INVALID_URL'], // an IDN that is not valid IDNA: refused by the URL parser, nothing resolved
      ['\u001b[2J\u001b]0;owned\u0007http://example.com/a.png', 'IMG_ERR_INVALID_URL'], // terminal escapes
      [`ftp://example.com/\u202egnp.exe`, 'IMG_ERR_UNSUPPORTED_SCHEME'], // a bidi override that would make the shown line lie
      [`${u}/g4.png`, '/g4.png'],
      [garbageLine(200, 'garbage 3'), 'IMG_ERR_INVALID_ENCODING'],
      [`${u}/g5.png`, '/g5.png'], // the last line, without a line ending
    ];
    const body = Buffer.concat(
      lines.flatMap(([text], i) => [
        typeof text === 'string' ? Buffer.from(text) : text,
        Buffer.from(i < lines.length - 1 ? '\n' : ''),
      ]),
    );
    const list = join(dir.path, 'hostile.txt');
    await writeFile(list, body);

    const storeRoot = store('mixed');
    const result = await measuredFetch([list, '--store', storeRoot, '--allow-private', '--json']);
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout) as RoundSummary;

    let good = 0;
    for (const [i, [, expected]] of lines.entries()) {
      const line = i + 1;
      if (expected.startsWith('/')) {
        good++;
        await assertStoredExact(summary, storeRoot, line, expected);
        assert.equal(origin.stats.byPath.get(expected), 1, `${expected} asked once`);
        continue;
      }
      const entry = entryAt(summary, line);
      assert.equal(entry.status, 'failed');
      assert.equal(entry.error?.code, expected, `line ${line}: ${entry.error?.message}`);
      assert.equal(entry.attempts, undefined, 'a bad line is never requested');
      assert.equal(entry.path, undefined);
      assert.match(
        result.stderr,
        new RegExp(`hostile\\.txt:${line}: ${expected}: `),
        `stderr names line ${line} and its code`,
      );
    }
    assert.equal(summary.counts.downloaded, good);
    assert.equal(summary.counts.invalidLines, lines.length - good);
    assert.equal(summary.entries.length, lines.length);
    assert.equal(origin.stats.requests, good, 'only the good lines reached the origin');

    // The operator's terminal sees no raw control character from the list: each is shown escaped.
    assert.doesNotMatch(
      result.stderr,
      /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/,
      'no raw control character on stderr',
    );
    assert.match(result.stderr, /hostile\.txt:20: IMG_ERR_INVALID_URL: .*: \\x1b\[2J\\x1b\]0;owned\\x07http/);
    assert.match(
      result.stderr,
      /hostile\.txt:21: IMG_ERR_UNSUPPORTED_SCHEME: .*: ftp:\/\/example\.com\/\\u202egnp\.exe$/m,
    );
    assert.match(result.stderr, /hostile\.txt:4: IMG_ERR_INVALID_URL: contains control characters .*\/g3\\x00\.png/);
    assert.ok(entryAt(summary, 2).url.length <= 1000, 'a garbage line is previewed, not echoed whole');
    assert.ok(result.peakRssMib < PEAK_RSS_LIMIT_MIB, `peak RSS ${result.peakRssMib.toFixed(0)} MiB`);
  });

  it('a 100 MB line: IMG_ERR_LINE_TOO_LONG, streamed past in bounded memory, the lines around it downloaded', async () => {
    const list = join(dir.path, 'long-line.txt');
    const file = await open(list, 'w');
    try {
      await file.write(`${origin.url}/g1.png\n${origin.url}/`);
      const filler = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 100; i++) await file.write(filler);
      await file.write(`.png\n${origin.url}/g2.png\n`);
    } finally {
      await file.close();
    }
    assert.ok((await stat(list)).size > 100 * 1024 * 1024);

    origin.resetStats();
    const storeRoot = store('long-line');
    const result = await measuredFetch([list, '--store', storeRoot, '--allow-private', '--json']);
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout) as RoundSummary;
    await assertStoredExact(summary, storeRoot, 1, '/g1.png');
    await assertStoredExact(summary, storeRoot, 3, '/g2.png');
    const long = entryAt(summary, 2);
    assert.equal(long.error?.code, 'IMG_ERR_LINE_TOO_LONG');
    assert.equal(long.error?.message, 'line 2: line is longer than 8192 bytes');
    assert.ok(long.url.length <= 201, `previewed in ${long.url.length} characters`);
    assert.match(result.stderr, /long-line\.txt:2: IMG_ERR_LINE_TOO_LONG/);
    assert.ok(result.stderr.length < 2000, `stderr is ${result.stderr.length} bytes`);
    assert.ok(
      result.peakRssMib < PEAK_RSS_LIMIT_MIB,
      `peak RSS ${result.peakRssMib.toFixed(0)} MiB with a 100 MB line`,
    );
    process.stdout.write(`# 100 MB line: ${result.elapsedMs} ms, peak RSS ${result.peakRssMib.toFixed(0)} MiB\n`);
  });

  it(`1,000,000 lines of comments, duplicates and invalid lines around a few URLs: bounded time and memory, the first ${LISTED_LIST_PROBLEMS} problems listed, the rest counted`, async () => {
    const LINES = 1_000_000;
    const goodPaths = ['/g1.png', '/g2.png', '/g3.png', '/g4.png', '/g5.png'];
    const expectedCodes: Record<string, number> = {};
    let invalid = 0;
    const firstInvalidLines: number[] = [];
    const list = join(dir.path, 'million.txt');
    const file = await open(list, 'w');
    try {
      let batch: string[] = [];
      for (let line = 1; line <= LINES; line++) {
        let text: string;
        let code: string | undefined;
        // A quarter good URLs, all five over and over (so duplicates), a quarter comments and blank lines, half invalid.
        switch (line % 8) {
          case 0:
            text = `# comment ${line}`;
            break;
          case 1:
            text = '';
            break;
          case 2:
            text = `${origin.url}${goodPaths[(line >> 3) % goodPaths.length]!}`;
            break;
          case 3:
            text = `  ${origin.url}${goodPaths[line % goodPaths.length]!}#fragment-${line}\r`;
            break;
          case 4:
            [text, code] = [`not a url ${line}`, 'IMG_ERR_INVALID_URL'];
            break;
          case 5:
            [text, code] = [`ftp://example.com/${line}.png`, 'IMG_ERR_UNSUPPORTED_SCHEME'];
            break;
          case 6:
            [text, code] = [`http://u:p@example.com/${line}.png`, 'IMG_ERR_CREDENTIALS_IN_URL'];
            break;
          default:
            [text, code] = [`javascript:void(${line})`, 'IMG_ERR_UNSUPPORTED_SCHEME'];
        }
        if (code !== undefined) {
          invalid++;
          expectedCodes[code] = (expectedCodes[code] ?? 0) + 1;
          if (firstInvalidLines.length < LISTED_LIST_PROBLEMS) firstInvalidLines.push(line);
        }
        batch.push(text);
        if (batch.length === 50_000) {
          await file.write(`${batch.join('\n')}\n`);
          batch = [];
        }
      }
      await file.write(batch.join('\n'));
    } finally {
      await file.close();
    }

    origin.resetStats();
    const storeRoot = store('million');
    const result = await measuredFetch([list, '--store', storeRoot, '--allow-private', '--json']);
    assert.equal(result.code, 1, result.stderr.slice(0, 2000));
    const summary = JSON.parse(result.stdout) as RoundSummary;

    // Every good URL downloaded once, whatever lines it repeats on.
    const downloaded = summary.entries.filter((entry) => entry.status === 'downloaded');
    assert.deepEqual(downloaded.map((entry) => new URL(entry.url).pathname).sort(), [...goodPaths].sort());
    for (const path of goodPaths) assert.equal(origin.stats.byPath.get(path), 1, `${path} asked once`);
    assert.equal(origin.stats.requests, goodPaths.length);
    for (const entry of downloaded)
      assert.ok((await readFile(join(storeRoot, entry.path!))).equals(images.get(new URL(entry.url).pathname)!));

    // Counts are exact; entries list the first invalid lines only.
    assert.equal(summary.counts.invalidLines, invalid);
    assert.equal(summary.counts.failed, invalid);
    assert.equal(summary.counts.total, goodPaths.length + invalid);
    assert.deepEqual(summary.failuresByCode, expectedCodes);
    assert.equal(
      summary.counts.duplicates,
      goodPaths.length,
      'a repeated URL is reported once, however often it repeats',
    );
    assert.deepEqual(summary.omitted, { invalidLines: invalid - LISTED_LIST_PROBLEMS, duplicates: 0 });
    const listedInvalid = summary.entries.filter((entry) => entry.status === 'failed');
    assert.deepEqual(
      listedInvalid.map((entry) => entry.line),
      firstInvalidLines,
      `the first ${LISTED_LIST_PROBLEMS} invalid lines, in order`,
    );

    // stderr stays readable: the listed lines, one notice, no million lines.
    const stderrLines = result.stderr.split('\n').filter((line) => line !== '');
    assert.equal(stderrLines.filter((line) => /million\.txt:\d+: IMG_ERR_/.test(line)).length, LISTED_LIST_PROBLEMS);
    assert.equal(
      stderrLines.filter((line) =>
        /more invalid lines; from here on they are counted in the summary, not printed/.test(line),
      ).length,
      1,
    );
    assert.ok(stderrLines.length < LISTED_LIST_PROBLEMS + 50, `${stderrLines.length} stderr lines`);
    assert.ok(result.stdout.length < 1_000_000, `the JSON summary is ${result.stdout.length} bytes`);
    assert.ok((await stat(join(storeRoot, '.image-loader', 'last-round.json'))).size < 1_000_000);

    assert.ok(result.elapsedMs < 30_000, `the round took ${result.elapsedMs} ms`);
    assert.ok(
      result.peakRssMib < PEAK_RSS_LIMIT_MIB,
      `peak RSS ${result.peakRssMib.toFixed(0)} MiB for 1,000,000 lines`,
    );
    process.stdout.write(
      `# 1,000,000 lines: ${result.elapsedMs} ms, peak RSS ${result.peakRssMib.toFixed(0)} MiB, ${stderrLines.length} stderr lines, ${result.stdout.length} B of JSON\n`,
    );
  });
});
