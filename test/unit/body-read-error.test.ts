import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bodyReadError } from '../../core/download/classify-error.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';

const URL_ = 'http://a.example/x.png';
const socketClosed = (): Error => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
const tooLarge = new ImageLoaderError(ErrorCode.TooLarge, 'too large', { url: URL_ });

describe('bodyReadError: a connection that breaks mid-body leaves a truncated body', () => {
  const truncated: Array<
    [name: string, error: unknown, received: number, declared: number | undefined, message: string]
  > = [
    [
      'closed before the Content-Length',
      socketClosed(),
      100,
      10_000_000,
      'body truncated: the server closed the connection after 100 of the 10000000 bytes its Content-Length declared',
    ],
    [
      'closed before the last chunk',
      socketClosed(),
      0,
      undefined,
      'body truncated: the server closed the connection after 0 bytes, before the end of the body',
    ],
    [
      'the close as the cause of a wrapper',
      new Error('terminated', { cause: socketClosed() }),
      5,
      6,
      'body truncated: the server closed the connection after 5 of the 6 bytes its Content-Length declared',
    ],
    [
      'reset mid-body',
      reset,
      3000,
      20_000,
      'body truncated: the connection was reset after 3000 of the 20000 bytes its Content-Length declared',
    ],
  ];
  for (const [name, error, received, declared, message] of truncated) {
    test(name, () => {
      const result = bodyReadError(error, URL_, received, declared);
      assert.ok(result instanceof ImageLoaderError);
      assert.equal(result.code, ErrorCode.Truncated);
      assert.equal(result.message, message);
      assert.equal(result.retryable, true);
      assert.equal(result.url, URL_);
    });
  }
  const unchanged: Array<[name: string, error: unknown]> = [
    [
      'a body timeout is classified later (IMG_ERR_BODY_TIMEOUT)',
      Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' }),
    ],
    [
      'an abort is classified later (deadline or shutdown)',
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
    ],
    ['our own error (over --max-bytes) passes through', tooLarge],
    ['anything else passes through', new Error('EIO')],
  ];
  for (const [name, error] of unchanged) {
    test(name, () => {
      assert.equal(bodyReadError(error, URL_, 1, 2), error);
    });
  }
});
