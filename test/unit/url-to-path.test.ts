import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IMAGE_EXTENSIONS, IMAGE_TYPES, type ImageType } from '../../core/image/image-types.js';
import { parseListLine } from '../../core/list/parse-list-line.js';
import { urlToPath } from '../../core/store/url-to-path.js';

const TYPES = Object.keys(IMAGE_TYPES) as ImageType[];
const PORTABLE_NAME = /^[A-Za-z0-9\-_.~!$&'()+,;=@%^]+$/;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const HASHED = /\^~[0-9a-f]{16,}/;

/** The list parser's normalisation, which is what urlToPath is documented to receive. */
function normalise(line: string): string {
  const parsed = parseListLine(line);
  assert.equal(parsed.kind, 'url', `${JSON.stringify(line)} should be a valid list line: ${JSON.stringify(parsed)}`);
  return parsed.kind === 'url' ? parsed.url : '';
}

/** Every documented property of a store name; throws with the offending part. */
function assertSafePath(path: string, type: ImageType, context: string): void {
  const where = `${context} -> ${path}`;
  assert.ok(Buffer.byteLength(path) <= 1024, `path over 1024 bytes: ${where}`);
  assert.ok(!/[\\\u0000-\u001f\u007f]/.test(path), `backslash or control character: ${where}`);
  const components = path.split('/');
  assert.ok(components.length >= 2, `no host/leaf split: ${where}`);
  components.forEach((component, index) => {
    const what = `component ${index} ${JSON.stringify(component)} of ${where}`;
    assert.ok(component !== '' && component !== '.' && component !== '..', `empty or dot ${what}`);
    assert.ok(!component.startsWith('.'), `starts with a dot: ${what}`);
    assert.ok(!component.endsWith('.'), `ends with a dot: ${what}`);
    assert.ok(Buffer.byteLength(component) <= 255, `over 255 bytes (${Buffer.byteLength(component)}): ${what}`);
    assert.match(component, PORTABLE_NAME, `unportable character in ${what}`);
    assert.ok(!WINDOWS_DEVICE.test(component.split('.')[0]!), `Windows device name: ${what}`);
    const dot = component.lastIndexOf('.');
    const extension = dot === -1 ? '' : component.slice(dot + 1).toLowerCase();
    if (index < components.length - 1) {
      assert.ok(!IMAGE_EXTENSIONS.has(extension), `directory ends in an image extension: ${what}`);
    } else {
      const aliases: readonly string[] = IMAGE_TYPES[type].aliases;
      assert.ok(aliases.includes(extension), `leaf does not end in an extension of ${type}: ${what}`);
    }
  });
}

const long = (char: string, count: number): string => char.repeat(count);

// [name, list line, type, expected store path]
const cases: Array<[name: string, line: string, type: ImageType, expected: string | RegExp]> = [
  // Ordinary URLs.
  ['https, default port', 'https://example.com/a.jpg', 'jpeg', 'example.com/a.jpg'],
  ['https, explicit default port', 'https://example.com:443/img/a.jpg', 'jpeg', 'example.com/img/a.jpg'],
  ['http gets its own host directory', 'http://example.com/a.jpg', 'jpeg', 'example.com^.http/a.jpg'],
  ['http, explicit default port', 'http://example.com:80/a.jpg', 'jpeg', 'example.com^.http/a.jpg'],
  ['non-default port is part of the host', 'https://example.com:8080/a.jpg', 'jpeg', 'example.com^3A8080/a.jpg'],
  ['http and a port', 'http://example.com:8080/a.jpg', 'jpeg', 'example.com^3A8080^.http/a.jpg'],
  ['nested directories', 'https://cdn.example.com/2024/05/photo.png', 'png', 'cdn.example.com/2024/05/photo.png'],
  ['query goes into the leaf', 'https://example.com/a.jpg?w=1', 'jpeg', 'example.com/a.jpg^3Fw=1^.jpg'],
  [
    'query with a slash and an ampersand',
    'https://example.com/a.png?p=x/y&q=1',
    'png',
    'example.com/a.png^3Fp=x^2Fy&q=1^.png',
  ],
  ['empty query is not the same URL as no query', 'https://example.com/a.png?', 'png', 'example.com/a.png^3F^.png'],
  ['missing extension gets the sniffed one', 'https://example.com/photo', 'png', 'example.com/photo^.png'],
  ['wrong extension gets the sniffed one', 'https://example.com/a.jpg', 'png', 'example.com/a.jpg^.png'],
  ['own extension in upper case kept', 'https://example.com/A.PNG', 'png', 'example.com/A.PNG'],
  ['own alias kept (jpeg)', 'https://example.com/a.jpeg', 'jpeg', 'example.com/a.jpeg'],
  ['own alias kept (tif)', 'https://example.com/scan.tif', 'tiff', 'example.com/scan.tif'],
  ['root of a host', 'https://example.com/', 'png', 'example.com/^^.png'],
  ['root of a host with a query', 'https://example.com/?id=7', 'gif', 'example.com/^3Fid=7^.gif'],
  ['directory URL', 'https://example.com/dir/', 'webp', 'example.com/dir/^^.webp'],
  ['empty segment', 'https://example.com/a//b.png', 'png', 'example.com/a/^/b.png'],
  [
    'a directory never ends in an image extension',
    'https://example.com/x.png/y.png',
    'png',
    'example.com/x^2Epng/y.png',
  ],
  ['directory extension check ignores case', 'https://example.com/X.JpEg/y.png', 'png', 'example.com/X^2EJpEg/y.png'],
  ['a directory may end in another extension', 'https://example.com/v1.2/x.png', 'png', 'example.com/v1.2/x.png'],
  ['IDN host as punycode', 'https://bücher.example/a.png', 'png', 'xn--bcher-kva.example/a.png'],
  ['IPv4 host', 'http://2130706433/a.png', 'png', '127.0.0.1^.http/a.png'],
  ['IPv6 host', 'http://[::1]:8080/a.png', 'png', '^5B^3A^3A1^5D^3A8080^.http/a.png'],
  ['SVG', 'https://example.com/logo.svg', 'svg', 'example.com/logo.svg'],

  // Hostile paths.
  [
    'dot-dot resolved by the URL parser',
    'https://example.com/a/../../../etc/passwd',
    'png',
    'example.com/etc/passwd^.png',
  ],
  ['encoded dot-dot resolved by the URL parser', 'https://example.com/a/%2e%2E/x.png', 'png', 'example.com/x.png'],
  [
    'encoded dot-dot-slash stays one component',
    'https://example.com/%2e%2e%2fetc%2fpasswd',
    'png',
    'example.com/%2e%2e%2fetc%2fpasswd^.png',
  ],
  ['backslashes are slashes in http URLs', 'https://example.com/a\\..\\b\\c.png', 'png', 'example.com/b/c.png'],
  [
    'leading dot escaped (store internals unreachable)',
    'https://example.com/.image-loader/x.png',
    'png',
    'example.com/^2Eimage-loader/x.png',
  ],
  ['three dots', 'https://example.com/.../x.png', 'png', 'example.com/^2E.^2E/x.png'],
  ['trailing dot on a directory', 'https://example.com/a./x.png', 'png', 'example.com/a^2E/x.png'],
  ['dotfile leaf', 'https://example.com/.png', 'png', 'example.com/^2Epng^.png'],
  ['leaf ending in a dot', 'https://example.com/x.png.', 'png', 'example.com/x.png^2E^.png'],
  ['host with a trailing dot', 'https://example.com./a.png', 'png', 'example.com^2E/a.png'],
  ['Windows device leaf', 'https://example.com/con.jpg', 'jpeg', 'example.com/^63on.jpg'],
  ['Windows device directory, upper case', 'https://example.com/NUL/a.png', 'png', 'example.com/^4EUL/a.png'],
  ['Windows device with several dots', 'https://example.com/aux.tar.gz', 'png', 'example.com/^61ux.tar.gz^.png'],
  ['Windows device COM1', 'https://example.com/com1.png', 'png', 'example.com/^63om1.png'],
  ['Windows device host', 'http://prn/a.png', 'png', '^70rn^.http/a.png'],
  ['not a device name', 'https://example.com/console.png', 'png', 'example.com/console.png'],
  ['escape character itself escaped', 'https://example.com/a^2E.png', 'png', 'example.com/a^5E2E.png'],
  ['marker-like leaf cannot forge a suffix', 'https://example.com/a^.png', 'png', 'example.com/a^5E.png'],
  [
    'reserved characters escaped',
    "https://example.com/a*b:c|d[e]'f.png",
    'png',
    "example.com/a^2Ab^3Ac^7Cd^5Be^5D'f.png",
  ],
  [
    'characters escaped in the query',
    'https://example.com/a?x=`{|}^\\',
    'png',
    'example.com/a^3Fx=^60^7B^7C^7D^5E^5C^.png',
  ],
  ['percent escapes kept as written', 'https://example.com/a%20b%2Fc.png', 'png', 'example.com/a%20b%2Fc.png'],
  [
    'control characters percent-encoded by the URL parser',
    'https://example.com/a%00b%1B.png',
    'png',
    'example.com/a%00b%1B.png',
  ],
  ['unicode NFC', 'https://example.com/caf\u00e9.png', 'png', 'example.com/caf%C3%A9.png'],
  ['unicode NFD', 'https://example.com/cafe\u0301.png', 'png', 'example.com/cafe%CC%81.png'],
  ['emoji', 'https://example.com/😀.png', 'png', 'example.com/%F0%9F%98%80.png'],

  // Length limits.
  [
    'long directory shortened',
    `https://example.com/${long('d', 300)}/x.png`,
    'png',
    new RegExp(`^example\\.com/${long('d', 180)}\\^~[0-9a-f]+/x\\.png$`),
  ],
  [
    'long leaf shortened, keeps its extension',
    `https://example.com/${long('b', 300)}.png`,
    'png',
    new RegExp(`^example\\.com/${long('b', 180)}\\^~[0-9a-f]+\\^\\.png$`),
  ],
  [
    'long query shortened',
    `https://example.com/a.jpg?${long('q', 300)}`,
    'jpeg',
    new RegExp(`^example\\.com/a\\.jpg\\^3F${long('q', 172)}\\^~[0-9a-f]+\\^\\.jpg$`),
  ],
  [
    'shortening never cuts an escape',
    `https://example.com/a${long('*', 100)}.png`,
    'png',
    /^example\.com\/a(\^2A){59}\^~[0-9a-f]+\^\.png$/,
  ],
  [
    'leaf of exactly 255 bytes with own extension kept',
    `https://example.com/${long('e', 251)}.png`,
    'png',
    `example.com/${long('e', 251)}.png`,
  ],
  [
    'leaf of 251 bytes plus a suffix is 256: shortened',
    `https://example.com/${long('e', 251)}`,
    'png',
    new RegExp(`^example\\.com/${long('e', 180)}\\^~[0-9a-f]+\\^\\.png$`),
  ],
  [
    'long host shortened',
    `https://${long('h', 300)}.example/a.png`,
    'png',
    new RegExp(`^${long('h', 180)}\\^~[0-9a-f]+/a\\.png$`),
  ],
  [
    'long http host shortened with its marker',
    `http://${long('h', 300)}.example/a.png`,
    'png',
    new RegExp(`^${long('h', 180)}\\^~[0-9a-f]+\\^\\.http/a\\.png$`),
  ],
  [
    'http host that fits alone but not with its marker',
    `http://${long('h', 246)}.example/a.png`,
    'png',
    new RegExp(`^${long('h', 180)}\\^~[0-9a-f]+\\^\\.http/a\\.png$`),
  ],
  [
    'whole path over 1024 bytes',
    `https://example.com/${`${long('p', 200)}/`.repeat(6)}x.png`,
    'png',
    /^example\.com\/\^~[0-9a-f]+\^\.png$/,
  ],
  [
    'whole path over 1024 bytes, http',
    `http://example.com/${`${long('p', 200)}/`.repeat(6)}x.gif`,
    'gif',
    /^example\.com\^\.http\/\^~[0-9a-f]+\^\.gif$/,
  ],
];

describe('urlToPath', () => {
  for (const [name, line, type, expected] of cases) {
    test(name, () => {
      const url = normalise(line);
      const path = urlToPath(url, type);
      if (typeof expected === 'string') assert.equal(path, expected);
      else assert.match(path, expected);
      assertSafePath(path, type, url);
    });
  }

  test("the table's URLs map to distinct paths", () => {
    const seen = new Map<string, string>();
    for (const [, line, type] of cases) {
      const url = normalise(line);
      const path = urlToPath(url, type);
      const other = seen.get(path);
      assert.ok(other === undefined || other === url, `${url} and ${other} share ${path}`);
      seen.set(path, url);
    }
  });

  const twins: Array<[name: string, a: string, b: string]> = [
    ['NFC and NFD spellings', 'https://example.com/caf\u00e9.png', 'https://example.com/cafe\u0301.png'],
    ['http and https', 'http://example.com/a.png', 'https://example.com/a.png'],
    ['query and no query', 'https://example.com/a.png?', 'https://example.com/a.png'],
    ['escape case', 'https://example.com/a%2F.png', 'https://example.com/a%2f.png'],
    ['letter case', 'https://example.com/A.png', 'https://example.com/a.png'],
    ['empty segment and none', 'https://example.com/a//b.png', 'https://example.com/a/b.png'],
    [
      'long components differing at the end',
      `https://example.com/${long('x', 300)}1.png`,
      `https://example.com/${long('x', 300)}2.png`,
    ],
    [
      'long paths differing at the end',
      `https://example.com/${`${long('p', 200)}/`.repeat(6)}1.png`,
      `https://example.com/${`${long('p', 200)}/`.repeat(6)}2.png`,
    ],
    ['leaf and a directory of the same name', 'https://example.com/x.png', 'https://example.com/x.png/y.png'],
    ['port in host and a host-like name', 'https://example.com:8080/a.png', 'https://example.com/a.png'],
  ];
  for (const [name, a, b] of twins) {
    test(`distinct: ${name}`, () => {
      const pathA = urlToPath(normalise(a), 'png');
      const pathB = urlToPath(normalise(b), 'png');
      assert.notEqual(pathA, pathB);
      assert.ok(
        !pathB.startsWith(`${pathA}/`) && !pathA.startsWith(`${pathB}/`),
        `${pathA} / ${pathB}: a file would need to be a directory`,
      );
    });
  }

  const shortenedFamilies: Array<[name: string, url: (i: number) => string]> = [
    ['long leaves differing only at the end', (i) => `https://example.com/${long('x', 300)}${i}.png`],
    ['long directories differing only at the end', (i) => `https://example.com/${long('d', 300)}${i}/a.png`],
    ['long queries differing only at the end', (i) => `https://example.com/a.png?${long('q', 300)}${i}`],
    ['long hosts differing only at the end', (i) => `http://${long('h', 300)}${i}.example/a.png`],
    ['long paths differing only at the end', (i) => `https://example.com/${`${long('p', 200)}/`.repeat(6)}${i}.png`],
  ];
  for (const [name, url] of shortenedFamilies) {
    test(`shortened names stay distinct: 300 ${name}`, () => {
      const paths = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const path = urlToPath(normalise(url(i)), 'png');
        assert.match(path, HASHED);
        assertSafePath(path, 'png', url(i));
        paths.add(path);
      }
      assert.equal(paths.size, 300);
    });
  }

  test("same URL, different types: only the leaf's extension differs", () => {
    for (const line of [
      'https://example.com/d/a.jpg',
      'https://example.com/d/a',
      'https://example.com/d/',
      'https://example.com/d/a.png?x=1',
    ]) {
      const url = normalise(line);
      const paths = TYPES.map((type) => urlToPath(url, type));
      assert.equal(new Set(paths).size, TYPES.length, `${url}: ${paths.join(', ')}`);
      const stems = new Set(
        paths.map((path, i) => {
          const suffix = `^.${IMAGE_TYPES[TYPES[i]!].extension}`;
          return path.endsWith(suffix) ? path.slice(0, -suffix.length) : path;
        }),
      );
      assert.equal(stems.size, 1, `${url}: ${paths.join(', ')}`);
    }
  });

  test("2000 random URLs: every path is safe and distinct, and no file is another path's directory", () => {
    const random = mulberry32(20240501);
    const byPath = new Map<string, string>();
    const directories = new Set<string>();
    const files = new Set<string>();
    let generated = 0;
    while (generated < 2000) {
      const line = randomUrl(random);
      const parsed = parseListLine(line);
      if (parsed.kind !== 'url') continue;
      const url = parsed.url;
      if ([...TYPES].some((type) => byPath.get(urlToPath(url, type)) === url)) continue; // the same URL twice
      generated += 1;
      const type = TYPES[Math.floor(random() * TYPES.length)]!;
      const path = urlToPath(url, type);
      assertSafePath(path, type, url);
      const other = byPath.get(path);
      assert.equal(other, undefined, `${url} and ${other} both map to ${path}`);
      byPath.set(path, url);
      files.add(path);
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) directories.add(parts.slice(0, i).join('/'));
      // The other types of the same URL: other leaves in the same directory.
      const otherType = TYPES[(TYPES.indexOf(type) + 1 + Math.floor(random() * (TYPES.length - 1))) % TYPES.length]!;
      const otherPath = urlToPath(url, otherType);
      assert.notEqual(otherPath, path);
      const wholePathHashed = (p: string): boolean => /\/\^~[0-9a-f]+\^\.[a-z]+$/.test(p);
      // A path a byte or two from 1024 may fall back for a longer extension only; otherwise the directory is the same.
      if (!wholePathHashed(path) && !wholePathHashed(otherPath)) {
        assert.equal(otherPath.slice(0, otherPath.lastIndexOf('/')), path.slice(0, path.lastIndexOf('/')), url);
      }
      assertSafePath(otherPath, otherType, url);
    }
    for (const file of files) assert.ok(!directories.has(file), `${file} (${byPath.get(file)}) is also a directory`);
    // The generator must actually reach the interesting rules, or this test proves little.
    const all = [...files];
    const counts = {
      http: all.filter((p) => p.split('/')[0]!.endsWith('^.http')).length,
      hashed: all.filter((p) => HASHED.test(p)).length,
      wholePathHashed: all.filter((p) => /\/\^~[0-9a-f]+\^\.[a-z]+$/.test(p)).length,
      suffixed: all.filter((p) => /\^\.[a-z]+$/.test(p)).length,
      ownExtension: all.filter((p) => !/\^\.[a-z]+$/.test(p)).length,
      escapedDirectoryExtension: all.filter((p) => /\^2E(png|jpg|gif)\//i.test(p)).length,
      device: all.filter((p) => /(^|\/)\^(63|43|4E|6E|61|41|70|50)/.test(p)).length,
      query: all.filter((p) => p.includes('^3F')).length,
      emptySegment: all.filter((p) => p.includes('/^/') || p.includes('/^^.')).length,
    };
    for (const [rule, count] of Object.entries(counts))
      assert.ok(count >= 5, `random URLs reached "${rule}" only ${count} times`);
  });
});

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTS = [
  'example.com',
  'a.example',
  'EXAMPLE.com',
  'bücher.example',
  '127.0.0.1',
  '[::1]',
  '[2001:db8::1]',
  'con',
  'x.png',
  'example.com.',
];
const PIECES = [
  'a',
  'b',
  'A',
  '1',
  '-',
  '_',
  '~',
  '.',
  '..',
  '...',
  '%2e',
  '%2E%2e',
  '%2f',
  '%2F',
  '%00',
  '%',
  '^',
  '^2E',
  '^.',
  '^~',
  '*',
  ':',
  '|',
  '[',
  ']',
  '\\',
  '"',
  '<',
  '>',
  '`',
  '{',
  '}',
  "'",
  '!',
  '$',
  '&',
  '(',
  ')',
  '+',
  ',',
  ';',
  '=',
  '@',
  'é',
  'e\u0301',
  '😀',
  'con',
  'NUL',
  'com1',
  'lpt9',
  'aux',
  '.png',
  '.jpg',
  '.JPG',
  '.gif',
  '.tiff',
  '.svg',
  '.html',
  'x.png',
];
const QUERY_PIECES = ['a', '=', '&', '/', '?', '.png', '.jpg', '^', '%2F', 'é', '\\', '|', ' ', '..', '.'];

function randomUrl(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const scheme = random() < 0.3 ? 'http' : 'https';
  let host = pick(HOSTS);
  if (random() < 0.02) host = `${'h'.repeat(240 + Math.floor(random() * 30))}.example`;
  const port = random() < 0.15 ? pick([':80', ':443', ':8080', ':1']) : '';
  const segments: string[] = [];
  const depth = Math.floor(random() * 5);
  for (let i = 0; i < depth; i++) {
    let segment = '';
    if (random() < 0.03) segment = pick(PIECES).repeat(150 + Math.floor(random() * 150));
    else for (let n = Math.floor(random() * 4); n > 0; n--) segment += pick(PIECES);
    segments.push(segment);
  }
  if (random() < 0.02) for (let i = 0; i < 5; i++) segments.push('p'.repeat(200 + i));
  let leaf = '';
  for (let n = Math.floor(random() * 3); n > 0; n--) leaf += pick(PIECES);
  if (random() < 0.5)
    leaf += pick(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.avif', '.bmp', '.tif', '.ico', '.svg', '.PNG']);
  let query = '';
  const q = random();
  if (q < 0.05) query = '?';
  else if (q < 0.3)
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) query += (query === '' ? '?' : '') + pick(QUERY_PIECES);
  const fragment = random() < 0.05 ? '#frag' : '';
  return `${scheme}://${host}${port}/${[...segments, leaf].join('/')}${query}${fragment}`;
}
