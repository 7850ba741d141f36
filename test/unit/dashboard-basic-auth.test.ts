import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialCheck, type Credentials, parseBasicAuthorization } from '../../coordinator/dashboard/basic-auth.js';
import { clientKey, FailureLimiter } from '../../coordinator/dashboard/failure-limiter.js';

const basic = (text: string): string => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('dashboard: basic auth header', () => {
  // [name, Authorization header, credentials or undefined]
  const cases: Array<[string, string | undefined, Credentials | undefined]> = [
    ['user and password', basic('ops:s3cret'), { user: 'ops', password: 's3cret' }],
    ['the password may hold colons', basic('ops:a:b:c'), { user: 'ops', password: 'a:b:c' }],
    ['empty password', basic('ops:'), { user: 'ops', password: '' }],
    ['UTF-8', basic('jürgen:pässwörd✓'), { user: 'jürgen', password: 'pässwörd✓' }],
    ['scheme is case-insensitive', `bAsIc ${Buffer.from('a:b').toString('base64')}`, { user: 'a', password: 'b' }],
    ['no header', undefined, undefined],
    ['empty header', '', undefined],
    ['another scheme', 'Bearer abc.def', undefined],
    ['no colon', basic('opss3cret'), undefined],
    ['not base64', 'Basic @@@@', undefined],
    ['nothing after the scheme', 'Basic ', undefined],
    ['two tokens', `${basic('a:b')} ${Buffer.from('c:d').toString('base64')}`, undefined],
  ];
  for (const [name, header, expected] of cases) {
    test(name, () => assert.deepEqual(parseBasicAuthorization(header), expected));
  }
});

describe('dashboard: credential check', () => {
  const check = new CredentialCheck({ user: 'ops', password: 'correct horse' });
  // [name, given, matches]
  const cases: Array<[string, Credentials, boolean]> = [
    ['both right', { user: 'ops', password: 'correct horse' }, true],
    ['wrong password', { user: 'ops', password: 'correct hors' }, false],
    ['wrong user', { user: 'op', password: 'correct horse' }, false],
    ['both wrong', { user: 'x', password: 'y' }, false],
    ['empty password', { user: 'ops', password: '' }, false],
    ['case matters', { user: 'OPS', password: 'correct horse' }, false],
    [
      'a much longer password (lengths differ: hashed first)',
      { user: 'ops', password: 'correct horse'.repeat(100) },
      false,
    ],
    ['swapped', { user: 'correct horse', password: 'ops' }, false],
  ];
  for (const [name, given, matches] of cases) {
    test(name, () => assert.equal(check.matches(given), matches));
  }
});

describe('dashboard: failed logins per client', () => {
  const limiter = (now: { ms: number }): FailureLimiter =>
    new FailureLimiter({ maxFailures: 3, windowMs: 60_000, maxClients: 4 }, () => now.ms);

  test('the limit-th failure uses up the attempts; then refused until the oldest failure is a window old', () => {
    const now = { ms: 1_000_000 };
    const limits = limiter(now);
    assert.deepEqual([limits.recordFailure('a'), limits.retryAfterMs('a')], [false, 0]);
    now.ms += 10_000;
    assert.deepEqual([limits.recordFailure('a'), limits.retryAfterMs('a')], [false, 0]);
    now.ms += 10_000;
    assert.deepEqual([limits.recordFailure('a'), limits.retryAfterMs('a')], [true, 40_000]);
    assert.equal(limits.retryAfterMs('b'), 0, 'another client is not affected');
    now.ms += 39_999;
    assert.equal(limits.retryAfterMs('a'), 1);
    now.ms += 1;
    assert.equal(limits.retryAfterMs('a'), 0, 'the first failure aged out: one more attempt');
    limits.recordFailure('a');
    assert.equal(limits.retryAfterMs('a'), 10_000, 'and a failure refuses it again until the second one ages out');
  });

  test('failures older than the window do not count; a success forgets the client', () => {
    const now = { ms: 0 };
    const limits = limiter(now);
    limits.recordFailure('a');
    limits.recordFailure('a');
    now.ms += 60_001;
    limits.recordFailure('a');
    assert.equal(limits.retryAfterMs('a'), 0);
    limits.recordFailure('a');
    limits.recordSuccess('a');
    limits.recordFailure('a');
    limits.recordFailure('a');
    assert.equal(limits.retryAfterMs('a'), 0);
  });

  test('remembers at most maxClients: idle ones go first, then the least recent', () => {
    const now = { ms: 0 };
    const limits = limiter(now);
    for (const client of ['a', 'b', 'c']) limits.recordFailure(client);
    now.ms += 61_000;
    limits.recordFailure('d');
    limits.recordFailure('e');
    assert.equal(limits.size, 2, 'a, b and c aged out');
    for (const client of ['f', 'g', 'h']) limits.recordFailure(client);
    assert.equal(limits.size, 4);
    for (let i = 0; i < 3; i++) limits.recordFailure('h');
    assert.ok(limits.retryAfterMs('h') > 0, 'the most recent client is still limited');
  });

  // [address as the socket reports it, key]
  const keys: Array<[string | undefined, string]> = [
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ];
  for (const [address, key] of keys) {
    test(`client key of ${address}`, () => assert.equal(clientKey(address), key));
  }
});
