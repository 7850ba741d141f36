import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';
import { JsonLogger } from '../../core/log/json-logger.js';

function capture(): { stream: PassThrough; lines(): Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('JsonLogger', () => {
  const clock = (): Date => new Date('2026-11-27T12:00:00.000Z');

  test("one JSON object a line: time, level, msg, then the logger's fields, then the call's", () => {
    const out = capture();
    new JsonLogger(out.stream, { process: 'worker', pid: 7 }, clock).info('url downloaded', {
      roundId: 'r1',
      url: 'https://x/a.png',
    });
    assert.deepEqual(out.lines(), [
      {
        time: '2026-11-27T12:00:00.000Z',
        level: 'info',
        msg: 'url downloaded',
        process: 'worker',
        pid: 7,
        roundId: 'r1',
        url: 'https://x/a.png',
      },
    ]);
  });

  test('a child adds its fields to every line; levels are named', () => {
    const out = capture();
    const log = new JsonLogger(out.stream, { process: 'coordinator' }, clock).child({ roundId: 'r2' });
    log.warn('skipped');
    log.error('failed', { url: 'u' });
    assert.deepEqual(
      out.lines().map((line) => [line.level, line.msg, line.process, line.roundId, line.url]),
      [
        ['warn', 'skipped', 'coordinator', 'r2', undefined],
        ['error', 'failed', 'coordinator', 'r2', 'u'],
      ],
    );
  });

  test('errors become their code and message (an Error has no enumerable fields of its own)', () => {
    const out = capture();
    const log = new JsonLogger(out.stream, {}, clock);
    log.error('x', { error: new ImageLoaderError('IMG_ERR_STORE', 'ENOSPC: no space') });
    log.error('y', { error: new Error('plain') });
    assert.deepEqual(
      out.lines().map((line) => line.error),
      [{ code: 'IMG_ERR_STORE', message: 'ENOSPC: no space' }, { message: 'plain' }],
    );
  });

  test('a message with newlines stays on one line', () => {
    const out = capture();
    new JsonLogger(out.stream, {}, clock).info('two\nlines', { url: 'a\nb' });
    assert.equal(out.lines().length, 1);
    assert.equal(out.lines()[0]!.msg, 'two\nlines');
  });
});
