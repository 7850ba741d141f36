import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAction } from '../../coordinator/dashboard/action-policy.js';
import { checkSameOrigin, type OriginHeaders } from '../../coordinator/dashboard/csrf-guard.js';
import { isLoopbackAddress, isLoopbackHostHeader } from '../../coordinator/dashboard/loopback.js';

describe('dashboard: CSRF guard', () => {
  const put = (headers: Partial<OriginHeaders>): OriginHeaders => ({
    method: 'PUT',
    host: '127.0.0.1:3000',
    origin: undefined,
    secFetchSite: undefined,
    referer: undefined,
    ...headers,
  });
  // [name, request, allowed]
  const cases: Array<[string, OriginHeaders, boolean]> = [
    ['GET is never an action', { ...put({ origin: 'http://evil.example' }), method: 'GET' }, true],
    ['HEAD', { ...put({}), method: 'HEAD' }, true],
    ['OPTIONS', { ...put({}), method: 'options' }, true],
    ['same Origin', put({ origin: 'http://127.0.0.1:3000' }), true],
    ['same Origin, https behind a TLS proxy', put({ host: 'dash.example', origin: 'https://dash.example' }), true],
    ['Host with the default port spelled out', put({ host: 'dash.example:443', origin: 'https://dash.example' }), true],
    [
      'host names compare case-insensitively',
      put({ host: 'Dash.Example:8080', origin: 'http://dash.example:8080' }),
      true,
    ],
    ['IPv6 host', put({ host: '[::1]:3000', origin: 'http://[::1]:3000' }), true],
    ['another site', put({ origin: 'http://evil.example' }), false],
    ['another port is another origin', put({ origin: 'http://127.0.0.1:3001' }), false],
    ['localhost is not 127.0.0.1', put({ origin: 'http://localhost:3000' }), false],
    ['a sibling subdomain', put({ host: 'dash.example', origin: 'https://evil.dash.example' }), false],
    ['a suffix trick', put({ host: 'dash.example', origin: 'https://dash.example.evil.example' }), false],
    ['Origin null (sandboxed frame, data: URL)', put({ origin: 'null' }), false],
    ['Origin of another scheme', put({ origin: 'file://127.0.0.1:3000' }), false],
    [
      'a same Origin wins over a cross-site Referer',
      put({ origin: 'http://127.0.0.1:3000', referer: 'http://evil.example/' }),
      true,
    ],
    [
      'a cross-site Origin is not saved by Sec-Fetch-Site',
      put({ origin: 'http://evil.example', secFetchSite: 'same-origin' }),
      false,
    ],
    ['no Origin: Sec-Fetch-Site same-origin', put({ secFetchSite: 'same-origin' }), true],
    ['no Origin: Sec-Fetch-Site same-site', put({ secFetchSite: 'same-site' }), false],
    [
      'no Origin: Sec-Fetch-Site cross-site',
      put({ secFetchSite: 'cross-site', referer: 'http://127.0.0.1:3000/' }),
      false,
    ],
    ['no Origin: Sec-Fetch-Site none', put({ secFetchSite: 'none' }), false],
    ['no Origin: same Referer', put({ referer: 'http://127.0.0.1:3000/queue/downloads?status=failed' }), true],
    ['no Origin: cross-site Referer', put({ referer: 'http://evil.example/page' }), false],
    ['no Origin: a Referer that is not a URL', put({ referer: 'nonsense' }), false],
    ['none of the three (curl, a script)', put({}), false],
    ['no Host', put({ host: undefined, origin: 'http://127.0.0.1:3000' }), false],
    [
      'a Host with more than a name and a port',
      put({ host: 'evil.example/@127.0.0.1:3000', origin: 'http://evil.example' }),
      false,
    ],
    ['POST', { ...put({ origin: 'http://evil.example' }), method: 'POST' }, false],
    ['PATCH same-origin', { ...put({ origin: 'http://127.0.0.1:3000' }), method: 'PATCH' }, true],
    ['DELETE cross-site', { ...put({ origin: 'http://evil.example' }), method: 'DELETE' }, false],
  ];
  for (const [name, request, allowed] of cases) {
    test(name, () => assert.equal(checkSameOrigin(request).allowed, allowed));
  }
  test('a refusal says why', () => {
    assert.deepEqual(checkSameOrigin(put({ origin: 'http://evil.example' })), {
      allowed: false,
      reason: 'cross-site request refused (Origin http://evil.example)',
    });
  });
});

describe('dashboard: actions', () => {
  // [method, path, allowed read-only, allowed with --allow-actions]
  const cases: Array<[string, string, boolean, boolean]> = [
    ['GET', '/api/queues', true, true],
    ['GET', '/api/queues/downloads/u12/logs', true, true],
    ['HEAD', '/', true, true],
    ['PUT', '/api/queues/downloads/retry/failed', false, true],
    ['PUT', '/api/queues/downloads/retry/completed', false, true],
    ['PUT', '/api/queues/downloads/clean/failed', false, true],
    ['PUT', '/api/queues/downloads/clean/waiting', false, true],
    ['PUT', '/api/queues/downloads/promote', false, true],
    ['PUT', '/api/queues/downloads/u0123abc/retry', false, true],
    ['PUT', '/api/queues/downloads/u0123abc/clean', false, true],
    ['PUT', '/api/queues/downloads/u0123abc/promote', false, true],
    ['PUT', '/API/Queues/downloads/RETRY/failed', false, true],
    ['PUT', '/api/queues/downloads/promote/', false, true],
    ['POST', '/api/queues/downloads/retry/failed', false, false],
    ['POST', '/api/queues/downloads/add', false, false],
    ['PUT', '/api/queues/rounds/obliterate', false, false],
    ['PUT', '/api/queues/downloads/empty', false, false],
    ['PUT', '/api/queues/pause', false, false],
    ['PUT', '/api/queues/resume', false, false],
    ['PUT', '/api/queues/downloads/pause', false, false],
    ['PUT', '/api/queues/downloads/concurrency', false, false],
    ['PUT', '/api/queues/downloads/rate-limit', false, false],
    ['PUT', '/api/queues/downloads/rate-limit/release', false, false],
    ['PUT', '/api/queues/rounds/job-schedulers/every-interval/remove', false, false],
    ['PUT', '/api/queues/rounds/job-schedulers/every-interval/run', false, false],
    ['PATCH', '/api/queues/rounds/job-schedulers/every-interval', false, false],
    ['PATCH', '/api/queues/downloads/u1/update-data', false, false],
    ['PATCH', '/api/queues/downloads/u1/delay', false, false],
    ['PATCH', '/api/queues/downloads/u1/priority', false, false],
    ['PUT', '/api/queues/downloads/u1/remove-unprocessed-children', false, false],
    ['PUT', '/api/queues/downloads/retry/remove-unprocessed-children', false, false],
    ['PUT', '/api/queues/downloads/%72etry/failed', false, false],
    ['PUT', '/api/queues//retry/failed', false, false],
    ['PUT', '/api/queues/downloads/u1/retry/x', false, false],
    ['DELETE', '/api/queues/downloads/u1/clean', false, false],
    ['POST', '/api/metrics/history/purge', false, false],
  ];
  for (const [method, path, readOnly, withActions] of cases) {
    test(`${method} ${path}`, () => {
      assert.equal(checkAction(method, path, false).allowed, readOnly, 'read-only');
      assert.equal(checkAction(method, path, true).allowed, withActions, 'with --allow-actions');
    });
  }
});

describe('dashboard: loopback', () => {
  // [address, loopback]
  const addresses: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['192.168.1.2', false],
    ['::ffff:10.0.0.5', false],
    ['localhost', false],
    ['', false],
  ];
  for (const [address, loopback] of addresses) {
    test(`address ${JSON.stringify(address)}`, () => assert.equal(isLoopbackAddress(address), loopback));
  }
  // [Host header, addressed to loopback]
  const hosts: Array<[string | undefined, boolean]> = [
    ['127.0.0.1:3000', true],
    ['127.0.0.1', true],
    ['localhost:3000', true],
    ['LOCALHOST:3000', true],
    ['[::1]:3000', true],
    ['evil.example:3000', false],
    ['localhost.evil.example:3000', false],
    ['127.0.0.1.nip.io:3000', false],
    ['evil.example@127.0.0.1:3000', false],
    ['127.0.0.1:3000/evil', false],
    ['10.0.0.5:3000', false],
    ['', false],
    [undefined, false],
  ];
  for (const [host, loopback] of hosts) {
    test(`Host ${JSON.stringify(host)}`, () => assert.equal(isLoopbackHostHeader(host), loopback));
  }
});
