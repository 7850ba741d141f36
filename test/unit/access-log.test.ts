import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AccessLogExtras, accessLogRecord, MAX_LOGGED_PATH } from '../../core/log/access-log.js';

interface Exchange {
  method: string;
  url: string;
  status: number;
  finished: boolean;
  contentLength?: string | number;
  extras?: AccessLogExtras;
}

const record = (exchange: Exchange) => {
  const { ms, ...rest } = accessLogRecord(
    { method: exchange.method, originalUrl: exchange.url, socket: { remoteAddress: '127.0.0.1' } as never },
    {
      statusCode: exchange.status,
      writableFinished: exchange.finished,
      getHeader: (name: string) => (name === 'content-length' ? exchange.contentLength : undefined),
    },
    process.hrtime.bigint(),
    exchange.extras,
  );
  assert.ok(typeof ms === 'number' && ms >= 0 && ms < 1000, `ms ${ms}`);
  return rest;
};

describe('accessLogRecord: one schema for the web node and the dashboard', () => {
  const base = { method: 'GET', path: '/h/a.png', status: 200, remote: '127.0.0.1' };
  const cases: Array<[what: string, exchange: Exchange, expected: Record<string, unknown>]> = [
    [
      'an image sent whole',
      { method: 'GET', url: '/h/a.png', status: 200, finished: true, contentLength: '1234' },
      { ...base, bytes: 1234 },
    ],
    [
      'HEAD: no body bytes',
      { method: 'HEAD', url: '/h/a.png', status: 200, finished: true, contentLength: '1234' },
      { ...base, method: 'HEAD', bytes: 0 },
    ],
    [
      'cut off by the client: aborted, bytes unknown so 0',
      { method: 'GET', url: '/h/a.png', status: 200, finished: false, contentLength: 1234 },
      { ...base, bytes: 0, aborted: true },
    ],
    [
      'an answer without Content-Length (chunked)',
      { method: 'GET', url: '/h/a.png', status: 200, finished: true },
      { ...base, bytes: 0 },
    ],
    [
      "the dashboard's user",
      { method: 'GET', url: '/rounds', status: 200, finished: true, extras: { user: 'ops' } },
      { ...base, path: '/rounds', bytes: 0, user: 'ops' },
    ],
    [
      "a web node's 503 with its error code",
      { method: 'GET', url: '/h/a.png', status: 503, finished: true, contentLength: 40, extras: { error: 'EACCES' } },
      { ...base, status: 503, bytes: 40, error: 'EACCES' },
    ],
    [
      'a huge request target is cut',
      { method: 'GET', url: `/${'x'.repeat(5000)}`, status: 404, finished: true, contentLength: 14 },
      { ...base, path: `/${'x'.repeat(MAX_LOGGED_PATH - 1)}`, status: 404, bytes: 14 },
    ],
  ];
  for (const [what, exchange, expected] of cases) test(what, () => assert.deepEqual(record(exchange), expected));
});
