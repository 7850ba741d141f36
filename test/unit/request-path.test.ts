import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cachedImageKeyOf,
  encodeStorePath,
  parseRequestPath,
  type RequestTarget,
  splitRequestTarget,
} from '../../web/request-path.js';

describe('parseRequestPath', () => {
  const cases: Array<[path: string, expected: string[] | 400 | 404, trailingSlash?: boolean]> = [
    ['/', [], true],
    ['/example.com/', ['example.com'], true],
    ['/example.com/a/b.png', ['example.com', 'a', 'b.png'], false],
    ['/example.com/caf%C3%A9.png', ['example.com', 'café.png']],
    ['/example.com/a%20b.png', ['example.com', 'a b.png']],
    ['/example.com/%252e%252e/x', ['example.com', '%2e%2e', 'x']],
    ['/example.com/100%25.png', ['example.com', '100%.png']],
    ['/127.0.0.1^3A8080^.http/a.png', ['127.0.0.1^3A8080^.http', 'a.png']],
    // Refused: climbing, encoded separators, NUL, malformed encoding, empty segments.
    ['/..', 400],
    ['/../etc/passwd', 400],
    ['/a/../b', 400],
    ['/a/./b', 400],
    ['/%2e%2e/x', 400],
    ['/%2E%2E/x', 400],
    ['/a/%2e/b', 400],
    ['/..%2f..%2fetc', 400],
    ['/a%2fb', 400],
    ['/a%2Fb', 400],
    ['/a%5cb', 400],
    ['/a\\b', 400],
    ['/a%00b', 400],
    ['/%', 400],
    ['/%zz', 400],
    // Doubled slashes are merged (as nginx does); the segments between them are checked as ever.
    ['//etc/passwd', ['etc', 'passwd'], false],
    ['/a//b', ['a', 'b'], false],
    ['/a///b//', ['a', 'b'], true],
    ['//..//etc/passwd', 400],
    ['/a//%2e%2e//b', 400],
    ['//.image-loader/heartbeat.json', 404],
    ['relative', 400],
    // Hidden: dotfiles and the store's internal folder.
    ['/.image-loader/metadata.jsonl', 404],
    ['/.image-loader/', 404],
    ['/%2eimage-loader/blobs', 404],
    ['/example.com/.secret', 404],
    ['/.env', 404],
  ];
  for (const [path, expected, trailingSlash] of cases) {
    test(`${JSON.stringify(path)} -> ${JSON.stringify(expected)}`, () => {
      const parsed = parseRequestPath(path);
      if (typeof expected === 'number') {
        assert.equal(parsed.ok, false);
        assert.equal(!parsed.ok && parsed.status, expected);
      } else {
        assert.ok(parsed.ok, JSON.stringify(parsed));
        assert.deepEqual(parsed.segments, expected);
        if (trailingSlash !== undefined) assert.equal(parsed.trailingSlash, trailingSlash);
      }
    });
  }
  test('encodeStorePath is the inverse for any name the store can hold', () => {
    for (const name of ['example.com/a b/c%d.png', 'h^3A80^.http/é/x?y.png', 'h/#frag.png']) {
      const parsed = parseRequestPath(encodeStorePath(name));
      assert.ok(parsed.ok);
      assert.equal(parsed.segments.join('/'), name);
    }
  });
});

describe('splitRequestTarget', () => {
  const cases: Array<[target: string, expected: RequestTarget]> = [
    ['/', { ok: true, pathname: '/', query: '' }],
    ['/a/b.png?x=1&y', { ok: true, pathname: '/a/b.png', query: 'x=1&y' }],
    ['/a/?view=gallery?again', { ok: true, pathname: '/a/', query: 'view=gallery?again' }],
    // The absolute form (RFC 9112 §3.2.2): the authority is dropped, the path is checked as any other.
    ['http://example.com/a/b.png', { ok: true, pathname: '/a/b.png', query: '' }],
    ['HTTP://127.0.0.1:8080/a/?view=gallery', { ok: true, pathname: '/a/', query: 'view=gallery' }],
    ['http://example.com', { ok: true, pathname: '/', query: '' }],
    ['http://example.com?x', { ok: true, pathname: '/', query: 'x' }],
    ['https://example.com/../etc/passwd', { ok: true, pathname: '/../etc/passwd', query: '' }],
    ['relative', { ok: false, reason: 'the path must start with /' }],
    ['*', { ok: false, reason: 'the path must start with /' }],
    ['ftp://example.com/a', { ok: false, reason: 'the path must start with /' }],
  ];
  for (const [target, expected] of cases)
    test(`${JSON.stringify(target)}`, () => assert.deepEqual(splitRequestTarget(target), expected));
});

describe('cachedImageKeyOf: one key for every spelling of an image path, none for what the store route refuses', () => {
  const cases: Array<[target: string, key: string | undefined]> = [
    ['/example.com/a/b.png', 'example.com/a/b.png'],
    ['/example.com//a///b.png', 'example.com/a/b.png'],
    ['/example.com/a/b.png?v=2', 'example.com/a/b.png'],
    ['http://any.host/example.com/a/b.png', 'example.com/a/b.png'],
    ['/example.com/caf%C3%A9.png', 'example.com/café.png'],
    ['/', undefined],
    ['/example.com/a/', undefined],
    ['/example.com/a/b.png/', undefined],
    ['/../etc/passwd', undefined],
    ['/a%2fb', undefined],
    ['/.image-loader/heartbeat.json', undefined],
    ['//metrics', undefined],
    ['/HealthZ', undefined],
    ['/example.com/metrics', 'example.com/metrics'],
    ['/example.com/.hidden.png', undefined],
    ['*', undefined],
  ];
  for (const [target, key] of cases)
    test(`${target} -> ${String(key)}`, () => assert.equal(cachedImageKeyOf(target), key));
});
