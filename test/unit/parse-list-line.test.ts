import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { parseListLine } from '../../core/list/parse-list-line.js';

type Expected = { kind: 'skip' } | { kind: 'url'; url: string } | { kind: 'invalid'; code: ErrorCode; reason: RegExp };

const skip: Expected = { kind: 'skip' };
const url = (href: string): Expected => ({ kind: 'url', url: href });
const invalid = (code: ErrorCode, reason: RegExp): Expected => ({ kind: 'invalid', code, reason });

const cases: Array<[name: string, line: string, expected: Expected]> = [
  // Lines that say nothing.
  ['empty line', '', skip],
  ['spaces and tabs only', '  \t  ', skip],
  ['comment', '# images for the home page', skip],
  ['indented comment', '   # https://example.com/a.jpg', skip],
  ['comment right after whitespace and a tab', '\t#x', skip],

  // Accepted URLs, serialised the WHATWG way.
  ['https URL', 'https://example.com/a.jpg', url('https://example.com/a.jpg')],
  ['http URL', 'http://example.com/a.jpg', url('http://example.com/a.jpg')],
  ['surrounding whitespace trimmed', '  \thttps://example.com/a.jpg \t ', url('https://example.com/a.jpg')],
  ['trailing CR trimmed', 'https://example.com/a.jpg\r', url('https://example.com/a.jpg')],
  ['scheme and host lower-cased, path kept', 'HTTPS://Example.COM/A.JPG', url('https://example.com/A.JPG')],
  ['bare host gets the root path', 'https://example.com', url('https://example.com/')],
  ['default port dropped', 'https://example.com:443/a.jpg', url('https://example.com/a.jpg')],
  ['http default port dropped', 'http://example.com:80/a.jpg', url('http://example.com/a.jpg')],
  ['other port kept', 'http://example.com:8080/a.jpg', url('http://example.com:8080/a.jpg')],
  ['query kept', 'https://example.com/a.jpg?w=100&h=50', url('https://example.com/a.jpg?w=100&h=50')],
  ['fragment dropped', 'https://example.com/a.jpg#section', url('https://example.com/a.jpg')],
  ['empty fragment dropped', 'https://example.com/a.jpg#', url('https://example.com/a.jpg')],
  ['fragment dropped, query kept', 'https://example.com/a.jpg?v=2#x', url('https://example.com/a.jpg?v=2')],
  ['dot segments resolved', 'https://example.com/a/b/../../c.jpg', url('https://example.com/c.jpg')],
  ['non-ASCII path percent-encoded', 'https://example.com/café.jpg', url('https://example.com/caf%C3%A9.jpg')],
  ['IDN host to punycode', 'https://bücher.example/a.jpg', url('https://xn--bcher-kva.example/a.jpg')],
  ['upper-case IDN host to punycode', 'https://BÜCHER.example/a.jpg', url('https://xn--bcher-kva.example/a.jpg')],
  ['decimal IPv4 normalised', 'http://2130706433/', url('http://127.0.0.1/')],
  ['octal IPv4 normalised', 'http://0177.0.0.1/a.jpg', url('http://127.0.0.1/a.jpg')],
  ['hex IPv4 normalised', 'http://0x7f.1/a.jpg', url('http://127.0.0.1/a.jpg')],
  ['IPv6 literal compressed', 'https://[0:0:0:0:0:0:0:1]:8443/a.jpg', url('https://[::1]:8443/a.jpg')],
  ['empty userinfo is not a credential', 'https://@example.com/a.jpg', url('https://example.com/a.jpg')],

  // Schemes we do not fetch.
  ['ftp refused', 'ftp://example.com/a.jpg', invalid(ErrorCode.UnsupportedScheme, /"ftp:"/)],
  ['file refused', 'file:///etc/passwd', invalid(ErrorCode.UnsupportedScheme, /"file:"/)],
  ['data refused', 'data:image/png;base64,iVBORw0KGgo=', invalid(ErrorCode.UnsupportedScheme, /"data:"/)],
  ['javascript refused', 'javascript:alert(1)', invalid(ErrorCode.UnsupportedScheme, /"javascript:"/)],
  ['mailto refused', 'mailto:someone@example.com', invalid(ErrorCode.UnsupportedScheme, /"mailto:"/)],
  ['ws refused', 'ws://example.com/a.jpg', invalid(ErrorCode.UnsupportedScheme, /"ws:"/)],

  // Credentials.
  [
    'user and password refused',
    'https://user:secret@example.com/a.jpg',
    invalid(ErrorCode.CredentialsInUrl, /credentials/),
  ],
  ['user only refused', 'https://user@example.com/a.jpg', invalid(ErrorCode.CredentialsInUrl, /credentials/)],
  ['password only refused', 'http://:secret@example.com/a.jpg', invalid(ErrorCode.CredentialsInUrl, /credentials/)],

  // Not URLs.
  [
    'no scheme gets a hint',
    'example.com/a.jpg',
    invalid(ErrorCode.InvalidUrl, /no scheme.*did you mean https:\/\/example\.com\/a\.jpg\?/),
  ],
  [
    'scheme-relative gets no-scheme reason',
    '//example.com/a.jpg',
    invalid(ErrorCode.InvalidUrl, /no scheme.*did you mean https:\/\/example\.com\/a\.jpg\?$/),
  ],
  [
    'host:port without scheme is a missing scheme, not scheme "example.com:"',
    'example.com:8080/a.jpg',
    invalid(ErrorCode.InvalidUrl, /no scheme.*did you mean https:\/\/example\.com:8080\/a\.jpg\?/),
  ],
  ['localhost:port without scheme', 'localhost:8080/a.jpg', invalid(ErrorCode.InvalidUrl, /no scheme/)],
  ['scheme without host', 'https://', invalid(ErrorCode.InvalidUrl, /^not a valid URL$/)],
  ['unclosed IPv6 literal', 'https://[::1/a.jpg', invalid(ErrorCode.InvalidUrl, /^not a valid URL$/)],
  ['forbidden host code point', 'https://exa<mple.com/a.jpg', invalid(ErrorCode.InvalidUrl, /^not a valid URL$/)],
  ['NUL inside', 'https://example.com/a\u0000.jpg', invalid(ErrorCode.InvalidUrl, /control characters/)],
  [
    'escape sequence inside',
    'https://example.com/\u001b[31ma.jpg',
    invalid(ErrorCode.InvalidUrl, /control characters/),
  ],
  ['DEL inside', 'https://example.com/a\u007f.jpg', invalid(ErrorCode.InvalidUrl, /control characters/)],
  ['C1 control (NEL) inside', 'https://example.com/a\u0085.jpg', invalid(ErrorCode.InvalidUrl, /control characters/)],
  [
    'tab inside (the URL parser would drop it silently)',
    'https://example.com/a\tb.jpg',
    invalid(ErrorCode.InvalidUrl, /control characters/),
  ],
  ['space inside', 'https://example.com/a b.jpg', invalid(ErrorCode.InvalidUrl, /whitespace/)],
  [
    'two URLs on one line',
    'https://example.com/a.jpg https://example.com/b.jpg',
    invalid(ErrorCode.InvalidUrl, /whitespace/),
  ],
  ['no-break space inside', 'https://example.com/a\u00a0b.jpg', invalid(ErrorCode.InvalidUrl, /whitespace/)],
  ['line separator inside', 'https://example.com/a\u2028b.jpg', invalid(ErrorCode.InvalidUrl, /whitespace/)],
];

describe('parseListLine', () => {
  for (const [name, line, expected] of cases) {
    test(name, () => {
      const parsed = parseListLine(line);
      if (expected.kind === 'invalid') {
        assert.equal(parsed.kind, 'invalid', `got ${JSON.stringify(parsed)}`);
        if (parsed.kind !== 'invalid') return;
        assert.equal(parsed.code, expected.code);
        assert.match(parsed.reason, expected.reason);
      } else {
        assert.deepEqual(parsed, expected);
      }
    });
  }

  test('every accepted URL is a fixed point: parsing its output gives it back', () => {
    const accepted = cases.flatMap(([, line]) => {
      const parsed = parseListLine(line);
      return parsed.kind === 'url' ? [parsed.url] : [];
    });
    assert.ok(accepted.length >= 20, `only ${accepted.length} accepted rows`);
    for (const href of accepted) assert.deepEqual(parseListLine(href), { kind: 'url', url: href }, href);
  });
});
