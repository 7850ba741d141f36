import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';

describe('fetch: the URL list and the command line', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    origin.set('/a.png', { kind: 'image', body: makePng('a') });
    origin.set('/b.png', { kind: 'image', body: makePng('b') });
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  const store = (): string => join(dir.path, 'store');
  const writeList = async (name: string, content: string | Buffer): Promise<string> => {
    const path = join(dir.path, name);
    await writeFile(path, content);
    return path;
  };

  it('reports every bad line with its number and reason, and still downloads the good ones', async () => {
    const list = await writeList(
      'mixed.txt',
      [
        '\uFEFF# a list with a BOM, comments and CRLF line endings',
        `  ${origin.url}/a.png  `,
        '',
        'ftp://example.com/a.png',
        'file:///etc/passwd',
        'javascript:alert(1)',
        `http://user:secret@127.0.0.1:${origin.port}/a.png`,
        'example.com/no-scheme.png',
        `${origin.url}/b.png`,
        `${origin.url}/a.png#fragment`,
        `${origin.url}/a.png`,
        `x${'y'.repeat(9000)}`,
      ].join('\r\n'),
    );
    const result = await runCli(['fetch', list, '--store', store(), '--allow-private', '--json']);
    assert.equal(result.code, 1, 'some lines failed');
    const summary = JSON.parse(result.stdout) as RoundSummary;
    const byLine = new Map(summary.entries.map((entry) => [entry.line, entry]));
    assert.equal(byLine.get(2)!.status, 'downloaded');
    assert.equal(byLine.get(9)!.status, 'downloaded');
    const expected: Array<[number, string, string]> = [
      [4, 'IMG_ERR_UNSUPPORTED_SCHEME', 'ftp://example.com/a.png'],
      [5, 'IMG_ERR_UNSUPPORTED_SCHEME', 'file:///etc/passwd'],
      [6, 'IMG_ERR_UNSUPPORTED_SCHEME', 'javascript:alert(1)'],
      [7, 'IMG_ERR_CREDENTIALS_IN_URL', `http://user:secret@127.0.0.1:${origin.port}/a.png`],
      [8, 'IMG_ERR_INVALID_URL', 'example.com/no-scheme.png'],
    ];
    for (const [line, code, raw] of expected) {
      const entry = byLine.get(line)!;
      assert.equal(entry.status, 'failed');
      assert.equal(entry.error?.code, code, `line ${line}`);
      assert.equal(entry.url, raw, 'an invalid line is reported with its raw text');
      assert.match(result.stderr, new RegExp(`mixed\\.txt:${line}: ${code}`), `stderr names line ${line}`);
    }
    assert.equal(byLine.get(12)!.error?.code, 'IMG_ERR_LINE_TOO_LONG');
    assert.ok(byLine.get(12)!.url.length < 300, 'an over-long line is not echoed whole');
    assert.equal(summary.counts.invalidLines, 6);
    assert.deepEqual(
      summary.duplicates.map((duplicate) => [duplicate.line, duplicate.firstLine]),
      [[10, 2]],
      'a repeated URL (the fragment does not count) is dropped and reported once',
    );
    assert.equal(origin.stats.byPath.get('/a.png'), 1, 'downloaded once');
    assert.match(result.stderr, /mixed\.txt:10: duplicate of line 2/);
  });

  it('reads the list from standard input with -', async () => {
    const result = await runCli(['fetch', '-', '--store', store(), '--allow-private', '--json'], {
      input: `${origin.url}/a.png\n`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as RoundSummary).entries[0]!.url, `${origin.url}/a.png`);
  });

  it('reads the list from an http:// URL, streamed; a list URL that fails is exit 2 with its status', async () => {
    origin.set('/list.txt', {
      kind: 'image',
      body: Buffer.from(`${origin.url}/a.png\n${origin.url}/b.png\n`),
      contentType: 'text/plain',
    });
    const result = await runCli(['fetch', `${origin.url}/list.txt`, '--store', store(), '--allow-private', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as RoundSummary;
    assert.equal(summary.list, `${origin.url}/list.txt`);
    assert.deepEqual(
      summary.entries.map((entry) => entry.url),
      [`${origin.url}/a.png`, `${origin.url}/b.png`],
    );
    const gone = await runCli(['fetch', `${origin.url}/no-such-list.txt`, '--store', store()]);
    assert.equal(gone.code, 2);
    assert.match(
      gone.stderr,
      /IMG_ERR_LIST_UNREADABLE: cannot read URL list http:\/\/127\.0\.0\.1:\d+\/no-such-list\.txt: the server answered HTTP 404/,
    );
  });

  it('exits 2 with a clear message for a list it cannot read', async () => {
    const missing = await runCli(['fetch', join(dir.path, 'nope.txt'), '--store', store()]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /IMG_ERR_LIST_UNREADABLE: cannot read URL list .*nope\.txt: no such file/);

    const folder = await runCli(['fetch', dir.path, '--store', store()]);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /IMG_ERR_LIST_UNREADABLE/);

    const binary = await writeList(
      'binary.txt',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01, 0x02, 0x0a, 0xff]),
    );
    const garbage = await runCli(['fetch', binary, '--store', store()]);
    assert.equal(garbage.code, 2);
    assert.match(garbage.stderr, /IMG_ERR_LIST_BINARY: URL list .*binary\.txt looks like a binary file/);

    if (process.getuid?.() !== 0) {
      const locked = await writeList('locked.txt', 'http://example.com/a.png\n');
      await chmod(locked, 0o000);
      const denied = await runCli(['fetch', locked, '--store', store()]);
      assert.equal(denied.code, 2);
      assert.match(denied.stderr, /IMG_ERR_LIST_UNREADABLE/);
    }
  });

  it('exits 2 for usage errors, naming the setting, what it expects and what it got', async () => {
    const list = await writeList('one.txt', `${origin.url}/a.png\n`);
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['fetch'], {}, /expected exactly one LIST/],
      [['fetch', list, list], {}, /expected exactly one LIST/],
      [['fetch', list, '--concurrency', 'many'], {}, /--concurrency: expected an integer from 1 to 1024, got "many"/],
      [['fetch', list, '--max-bytes', '10 parsecs'], {}, /--max-bytes: expected a size/],
      [['fetch', list, '--timeout', 'soon'], {}, /--timeout: expected a duration/],
      [['fetch', list, '--every', '0s'], {}, /--every: expected a duration of at least 1s/],
      [['fetch', list, '--revalidate', 'sometimes'], {}, /--revalidate: expected "auto" or "always"/],
      [['fetch', list, '--no-such-flag'], {}, /Unknown option '--no-such-flag'/],
      [
        ['fetch', list],
        { IMAGE_LOADER_RETRIES: 'lots' },
        /IMAGE_LOADER_RETRIES: expected an integer from 0 to 20, got "lots"/,
      ],
      [['fetch', '-', '--every', '5m'], {}, /--every needs a list file/],
      [['frobnicate'], {}, /unknown command "frobnicate"/],
    ];
    for (const [args, env, message] of cases) {
      const result = await runCli(args, { env });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  it('takes settings from the environment, and a flag beats the environment', async () => {
    const list = await writeList('env.txt', `${origin.url}/a.png\n`);
    const fromEnv = await runCli(['fetch', list, '--json'], {
      env: {
        IMAGE_LOADER_STORE: join(dir.path, 'env-store'),
        IMAGE_LOADER_ALLOW_PRIVATE: '1',
        IMAGE_LOADER_MAX_BYTES: '10',
      },
    });
    assert.equal(fromEnv.code, 1, fromEnv.stderr);
    assert.equal(
      (JSON.parse(fromEnv.stdout) as RoundSummary).entries[0]!.error?.code,
      'IMG_ERR_TOO_LARGE',
      'IMAGE_LOADER_MAX_BYTES applied',
    );
    const flagWins = await runCli(['fetch', list, '--json', '--max-bytes', '1MiB'], {
      env: {
        IMAGE_LOADER_STORE: join(dir.path, 'env-store'),
        IMAGE_LOADER_ALLOW_PRIVATE: 'yes',
        IMAGE_LOADER_MAX_BYTES: '10',
      },
    });
    assert.equal(flagWins.code, 0, flagWins.stderr);
  });

  it('prints a human summary by default and nothing but errors with --quiet', async () => {
    const list = await writeList('human.txt', `${origin.url}/a.png\n${origin.url}/missing.png\n`);
    const human = await runCli(['fetch', list, '--store', store(), '--allow-private']);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /Round finished in [\d.]+ s: \d+ downloaded, \d+ unchanged, 1 failed/);
    assert.match(human.stdout, /IMG_ERR_HTTP_STATUS \(1\)\n {4}line 2: .*missing\.png: server answered HTTP 404/);
    const quiet = await runCli(['fetch', list, '--store', store(), '--allow-private', '--quiet']);
    assert.equal(quiet.stdout, '');
    assert.match(quiet.stderr, /missing\.png: server answered HTTP 404/);
    const allGood = await runCli([
      'fetch',
      await writeList('good.txt', `${origin.url}/a.png\n`),
      '--store',
      store(),
      '--allow-private',
      '--quiet',
    ]);
    assert.equal(allGood.code, 0);
    assert.equal(allGood.stdout + allGood.stderr, '', '--quiet prints nothing when all is well');
  });
});
