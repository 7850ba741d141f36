import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredImage } from '../../core/download/downloader.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';
import { type SettleOutcome, settleUrl, storeSettleSteps } from '../../core/round/settle-url.js';
import type { UrlMetadata } from '../../core/store/url-metadata.js';
import type { UrlMetadataSource } from '../../core/store/url-metadata-source.js';

const URL_A = 'http://a.example/a.png';
const image = (fresh: boolean): StoredImage => ({
  status: 'unchanged',
  path: 'a.example/a.png',
  sha256: 'abc',
  bytes: 10,
  contentType: 'image/png',
  transferred: fresh ? 0 : 10,
  fresh,
});
const http503 = new ImageLoaderError(ErrorCode.HttpStatus, 'HTTP 503', { retryable: true, status: 503 });
const notImage = new ImageLoaderError(ErrorCode.NotAnImage, 'not an image');

// [name, what the attempt does, attempt, retries, stopped, whenStopping, expected outcome, failures recorded]
const cases: Array<
  [
    name: string,
    attemptResult: StoredImage | Error,
    attempt: number,
    retries: number,
    stopped: boolean,
    whenStopping: 'settle' | 'hand-back',
    expected: SettleOutcome,
    recorded: string[],
  ]
> = [
  [
    'stored: the entry counts the attempt',
    image(false),
    2,
    3,
    false,
    'settle',
    {
      kind: 'settled',
      entry: {
        url: URL_A,
        status: 'unchanged',
        path: 'a.example/a.png',
        sha256: 'abc',
        bytes: 10,
        contentType: 'image/png',
        attempts: 2,
      },
      transferred: 10,
      fresh: false,
    },
    [],
  ],
  [
    'fresh copy, origin not asked: 0 attempts',
    image(true),
    1,
    3,
    false,
    'settle',
    {
      kind: 'settled',
      entry: {
        url: URL_A,
        status: 'unchanged',
        path: 'a.example/a.png',
        sha256: 'abc',
        bytes: 10,
        contentType: 'image/png',
        attempts: 0,
      },
      transferred: 0,
      fresh: true,
    },
    [],
  ],
  [
    'retryable with retries left: handed to the caller, nothing recorded',
    http503,
    1,
    1,
    false,
    'settle',
    { kind: 'retry', error: http503 },
    [],
  ],
  [
    'retryable, retries used up: settled as failed and recorded',
    http503,
    2,
    1,
    false,
    'settle',
    {
      kind: 'settled',
      entry: {
        url: URL_A,
        status: 'failed',
        attempts: 2,
        error: { code: ErrorCode.HttpStatus, message: 'HTTP 503', status: 503 },
      },
      transferred: 0,
      fresh: false,
    },
    [ErrorCode.HttpStatus],
  ],
  [
    'terminal: settled as failed at once',
    notImage,
    1,
    3,
    false,
    'hand-back',
    {
      kind: 'settled',
      entry: {
        url: URL_A,
        status: 'failed',
        attempts: 1,
        error: { code: ErrorCode.NotAnImage, message: 'not an image' },
      },
      transferred: 0,
      fresh: false,
    },
    [ErrorCode.NotAnImage],
  ],
];

describe('settleUrl', () => {
  for (const [name, attemptResult, attempt, retries, stopped, whenStopping, expected, recorded] of cases) {
    test(name, async () => {
      const failures: string[] = [];
      const controller = new AbortController();
      if (stopped) controller.abort();
      const outcome = await settleUrl(
        URL_A,
        {
          download: async () => {
            if (attemptResult instanceof Error) throw attemptResult;
            return attemptResult;
          },
          recordFailure: (_url, error) => {
            failures.push(error.code);
          },
        },
        { attempt, retries, signal: controller.signal, whenStopping },
      );
      assert.deepEqual(outcome, expected);
      assert.deepEqual(failures, recorded);
    });
  }

  test('stopped before the attempt: fetch settles it as aborted, a worker hands it back; neither downloads', async () => {
    const controller = new AbortController();
    controller.abort();
    let downloads = 0;
    const steps = {
      download: async (): Promise<StoredImage> => {
        downloads++;
        return image(false);
      },
    };
    const settled = await settleUrl(URL_A, steps, {
      attempt: 1,
      retries: 3,
      signal: controller.signal,
      whenStopping: 'settle',
    });
    assert.equal(settled.kind, 'settled');
    assert.equal(settled.kind === 'settled' && settled.entry.error?.code, ErrorCode.Aborted);
    const handedBack = await settleUrl(URL_A, steps, {
      attempt: 1,
      retries: 3,
      signal: controller.signal,
      whenStopping: 'hand-back',
    });
    assert.equal(handedBack.kind, 'hand-back');
    assert.equal(downloads, 0);
  });
});

describe('storeSettleSteps', () => {
  const metadata = (sha256: string): UrlMetadata => ({
    version: 1,
    url: URL_A,
    path: 'a.example/a.png',
    sha256,
    bytes: 10,
    type: 'png',
    contentType: 'image/png',
    checkedAt: '2026-01-01T00:00:00.000Z',
    changedAt: '2026-01-01T00:00:00.000Z',
  });
  const source = (initial: UrlMetadata | undefined): UrlMetadataSource & { sets: UrlMetadata[]; failed: string[] } => {
    let current = initial;
    const sets: UrlMetadata[] = [];
    const failed: string[] = [];
    return {
      sets,
      failed,
      get: async () => current,
      set: async (next) => {
        sets.push(next);
        current = next;
      },
      recordFailure: (_url, error) => {
        failed.push(error.code);
      },
    };
  };

  test('hands the download its previous metadata and keeps what it returns', async () => {
    const previous = metadata('old');
    const next = metadata('new');
    const kept = source(previous);
    const seen: Array<UrlMetadata | undefined> = [];
    const steps = storeSettleSteps(
      {
        download: async (_url, given) => {
          seen.push(given);
          return { image: image(false), metadata: next };
        },
      },
      kept,
    );
    await steps.download(URL_A, { signal: new AbortController().signal, onBodyReceived: () => {} });
    assert.deepEqual(seen, [previous]);
    assert.deepEqual(kept.sets, [next]);
  });

  test('a copy skipped as fresh (the same metadata object back) writes nothing', async () => {
    const previous = metadata('same');
    const kept = source(previous);
    const steps = storeSettleSteps(
      { download: async (_url, given) => ({ image: image(true), metadata: given! }) },
      kept,
    );
    await steps.download(URL_A, { signal: new AbortController().signal, onBodyReceived: () => {} });
    assert.deepEqual(kept.sets, []);
  });

  test('a last failure is recorded in the metadata', async () => {
    const kept = source(metadata('x'));
    const steps = storeSettleSteps({ download: async () => assert.fail('not called') }, kept);
    await steps.recordFailure(URL_A, notImage);
    assert.deepEqual(kept.failed, [ErrorCode.NotAnImage]);
  });
});
