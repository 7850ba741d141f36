/**
 * The HTTP conformance table: method × conditional headers × Range × path
 * spelling, each with the answer RFC 9110/9112 and the web node's documented
 * choices call for. The same table runs against nginx on the same store;
 * `nginx` states, with its reason, every place where nginx's answer differs.
 */

/** A header's expected value: exact, a pattern, or `null` for "absent". Values may hold `{etag}`, `{size}`… */
export type HeaderExpectation = string | RegExp | null;

export type BodyExpectation = 'image' | 'empty' | 'any' | { start: number; end: number };

export interface Expected {
  status: number;
  headers?: Record<string, HeaderExpectation>;
  body?: BodyExpectation;
}

export interface ConformanceRow {
  name: string;
  method?: 'GET' | 'HEAD' | 'POST';
  /** The request target, with `{image}` (the image's URL path) and `{folder}` (its folder's, no trailing slash). */
  target: string;
  /** Request headers; values may hold `{etag}`, `{lastModified}`, `{before}` (a day earlier), `{after}` (a day later). */
  headers?: Record<string, string>;
  expected: Expected;
  /** Where nginx answers otherwise: what it answers, and why the web node does not. */
  nginx?: Partial<Expected> & { why: string };
}

const IMAGE_HEADERS = {
  'content-type': 'image/png',
  etag: '{etag}',
  'last-modified': '{lastModified}',
  'accept-ranges': 'bytes',
};
const NOT_AN_IMAGE = { etag: null, 'last-modified': null, 'content-type': /^(?!image\/)/ };
const whole: Expected = { status: 200, headers: { ...IMAGE_HEADERS, 'content-length': '{size}' }, body: 'image' };
const notModified: Expected = {
  status: 304,
  headers: { etag: '{etag}', 'last-modified': '{lastModified}', 'content-length': null, 'content-type': null },
  body: 'empty',
};
const preconditionFailed: Expected = { status: 412, headers: NOT_AN_IMAGE, body: 'empty' };
const NGINX_ERROR_PAGE = {
  body: 'any',
  why: 'nginx answers its errors with an HTML page; the web node sends no body on 412 and 416 (and Cache-Control: no-store)',
} as const;

export const CONFORMANCE_TABLE: ConformanceRow[] = [
  // Unconditional.
  { name: 'GET an image', target: '{image}', expected: whole },
  {
    name: 'HEAD an image: the same headers, no body',
    method: 'HEAD',
    target: '{image}',
    expected: { ...whole, body: 'empty' },
  },
  // RFC 9110 §13.1.2 If-None-Match (weak comparison), §13.1.3 If-Modified-Since.
  {
    name: 'If-None-Match: the current ETag',
    target: '{image}',
    headers: { 'if-none-match': '{etag}' },
    expected: notModified,
  },
  {
    name: 'HEAD, If-None-Match: the current ETag',
    method: 'HEAD',
    target: '{image}',
    headers: { 'if-none-match': '{etag}' },
    expected: notModified,
  },
  {
    name: 'If-None-Match: W/ the current ETag',
    target: '{image}',
    headers: { 'if-none-match': 'W/{etag}' },
    expected: notModified,
  },
  { name: 'If-None-Match: *', target: '{image}', headers: { 'if-none-match': '*' }, expected: notModified },
  {
    name: 'If-None-Match: a list holding it',
    target: '{image}',
    headers: { 'if-none-match': '"x", {etag}' },
    expected: notModified,
  },
  { name: 'If-None-Match: another ETag', target: '{image}', headers: { 'if-none-match': '"nope"' }, expected: whole },
  {
    name: 'If-Modified-Since: its Last-Modified',
    target: '{image}',
    headers: { 'if-modified-since': '{lastModified}' },
    expected: notModified,
  },
  {
    name: 'If-Modified-Since: later',
    target: '{image}',
    headers: { 'if-modified-since': '{after}' },
    expected: notModified,
  },
  {
    name: 'If-Modified-Since: earlier',
    target: '{image}',
    headers: { 'if-modified-since': '{before}' },
    expected: whole,
  },
  {
    name: 'If-Modified-Since: not a date',
    target: '{image}',
    headers: { 'if-modified-since': 'yesterday' },
    expected: whole,
  },
  {
    name: 'If-None-Match fails: If-Modified-Since is ignored',
    target: '{image}',
    headers: { 'if-none-match': '"nope"', 'if-modified-since': '{after}' },
    expected: whole,
  },
  {
    name: 'If-None-Match matches: If-Modified-Since is ignored (§13.1.3)',
    target: '{image}',
    headers: { 'if-none-match': '{etag}', 'if-modified-since': '{before}' },
    expected: notModified,
    nginx: { ...whole, why: 'nginx requires both validators to hold; RFC 9110 §13.1.3 ignores If-Modified-Since here' },
  },
  // RFC 9110 §13.1.1 If-Match (strong comparison), §13.1.4 If-Unmodified-Since: 412.
  { name: 'If-Match: the current ETag', target: '{image}', headers: { 'if-match': '{etag}' }, expected: whole },
  { name: 'If-Match: *', target: '{image}', headers: { 'if-match': '*' }, expected: whole },
  {
    name: 'If-Match: another ETag',
    target: '{image}',
    headers: { 'if-match': '"nope"' },
    expected: preconditionFailed,
    nginx: NGINX_ERROR_PAGE,
  },
  {
    name: 'If-Match: W/ the current ETag (never a strong match)',
    target: '{image}',
    headers: { 'if-match': 'W/{etag}' },
    expected: preconditionFailed,
    nginx: NGINX_ERROR_PAGE,
  },
  {
    name: 'If-Unmodified-Since: earlier',
    target: '{image}',
    headers: { 'if-unmodified-since': '{before}' },
    expected: preconditionFailed,
    nginx: NGINX_ERROR_PAGE,
  },
  {
    name: 'If-Unmodified-Since: its Last-Modified',
    target: '{image}',
    headers: { 'if-unmodified-since': '{lastModified}' },
    expected: whole,
  },
  {
    name: 'If-Match fails before If-None-Match matches (§13.2.2 order)',
    target: '{image}',
    headers: { 'if-match': '"nope"', 'if-none-match': '{etag}' },
    expected: preconditionFailed,
    nginx: NGINX_ERROR_PAGE,
  },
  // RFC 9110 §14: Range, If-Range.
  {
    name: 'Range: one range',
    target: '{image}',
    headers: { range: 'bytes=0-9' },
    expected: {
      status: 206,
      headers: { ...IMAGE_HEADERS, 'content-range': 'bytes 0-9/{size}', 'content-length': '10' },
      body: { start: 0, end: 9 },
    },
    nginx: {
      headers: { 'content-range': 'bytes 0-9/{size}', 'content-length': '10', 'accept-ranges': null },
      why: 'nginx sends Accept-Ranges on its 200s only; the web node on every image answer (RFC 9110 §14.3 allows any)',
    },
  },
  {
    name: 'Range: a suffix',
    target: '{image}',
    headers: { range: 'bytes=-5' },
    expected: {
      status: 206,
      headers: { 'content-range': /^bytes \d+-\d+\/\d+$/, 'content-length': '5' },
      body: { start: -5, end: -1 },
    },
  },
  {
    name: 'Range: nothing inside the file',
    target: '{image}',
    headers: { range: 'bytes={size}-' },
    expected: { status: 416, headers: { ...NOT_AN_IMAGE, 'content-range': 'bytes */{size}' }, body: 'empty' },
    nginx: NGINX_ERROR_PAGE,
  },
  {
    name: 'Range: two ranges apart get the whole file, never multipart',
    target: '{image}',
    headers: { range: 'bytes=0-1,5-6' },
    expected: whole,
    nginx: {
      status: 206,
      headers: { 'content-type': /^multipart\/byteranges/ },
      body: 'any',
      why: 'the web node never answers multipart (a documented choice: no header makes an answer larger than the file)',
    },
  },
  {
    name: 'Range: malformed is ignored',
    target: '{image}',
    headers: { range: 'bytes=abc' },
    expected: whole,
    nginx: {
      status: 416,
      headers: { 'content-type': 'text/html' },
      body: 'any',
      why: 'RFC 9110 §14.2 lets a server ignore or reject an invalid Range; the web node ignores it (a documented choice)',
    },
  },
  { name: 'Range: another unit is ignored', target: '{image}', headers: { range: 'items=0-5' }, expected: whole },
  {
    name: 'If-Range: the current ETag',
    target: '{image}',
    headers: { range: 'bytes=0-9', 'if-range': '{etag}' },
    expected: { status: 206, headers: { 'content-range': 'bytes 0-9/{size}' }, body: { start: 0, end: 9 } },
  },
  {
    name: 'If-Range: another ETag gets the whole file',
    target: '{image}',
    headers: { range: 'bytes=0-9', 'if-range': '"nope"' },
    expected: whole,
  },
  {
    name: 'If-Range: its Last-Modified',
    target: '{image}',
    headers: { range: 'bytes=0-9', 'if-range': '{lastModified}' },
    expected: { status: 206, headers: { 'content-range': 'bytes 0-9/{size}' }, body: { start: 0, end: 9 } },
  },
  {
    name: 'Range and a matching If-None-Match: 304 first',
    target: '{image}',
    headers: { range: 'bytes=0-9', 'if-none-match': '{etag}' },
    expected: notModified,
  },
  {
    name: 'An unsatisfiable Range and a matching If-None-Match: 304 first',
    target: '{image}',
    headers: { range: 'bytes={size}-', 'if-none-match': '{etag}' },
    expected: notModified,
  },
  {
    name: 'Range and a failing If-Match: 412 first',
    target: '{image}',
    headers: { range: 'bytes=0-9', 'if-match': '"nope"' },
    expected: preconditionFailed,
    nginx: NGINX_ERROR_PAGE,
  },
  // Path spellings (RFC 9112 §3.2).
  {
    name: 'Absolute-form target (RFC 9112 §3.2.2)',
    target: 'http://127.0.0.1{image}',
    expected: whole,
  },
  { name: 'Percent-encoded unreserved characters', target: '{imageEncoded}', expected: whole },
  { name: 'A doubled slash is merged', target: '{imageDoubled}', expected: whole },
  { name: 'An image with a trailing slash: 404', target: '{image}/', expected: { status: 404, headers: NOT_AN_IMAGE } },
  {
    name: 'A folder without its slash: 301 to it',
    target: '{folder}',
    expected: { status: 301, headers: { location: /\/$/ } },
  },
  {
    name: 'A folder with a doubled slash and without its own: 301 to its one path',
    target: '{folderDoubled}',
    expected: { status: 301, headers: { location: '{folder}/' } },
    nginx: {
      headers: { location: 'http://127.0.0.1:{port}{folder}/' },
      why: 'nginx merges the slashes too, and writes the Location as an absolute URL (both are allowed)',
    },
  },
  {
    name: 'A folder: its listing, varying with Accept',
    target: '{folder}/',
    expected: { status: 200, headers: { 'content-type': /^text\/html/, vary: 'Accept' }, body: 'any' },
    nginx: { headers: { 'content-type': /^text\/html/, vary: null }, why: 'nginx has one listing format, so no Vary' },
  },
  {
    name: "A folder asked for as an image (a browser's Accept: image/*): the HTML listing",
    target: '{folder}/',
    headers: { accept: 'image/*' },
    expected: { status: 200, headers: { 'content-type': /^text\/html/ }, body: 'any' },
  },
  {
    name: 'A name that does not exist',
    target: '/no-such-host/x.png',
    expected: { status: 404, headers: NOT_AN_IMAGE },
  },
  { name: "The store's internals", target: '/.image-loader/last-round.json', expected: { status: 404 } },
  { name: 'Climbing out of the root', target: '/../../etc/passwd', expected: { status: 400 } },
  {
    name: 'A method that would change something',
    method: 'POST',
    target: '{image}',
    expected: { status: 405, headers: { allow: 'GET, HEAD' } },
    nginx: {
      headers: { allow: null },
      body: 'any',
      why: 'nginx sends no Allow header with its 405 (RFC 9110 §15.5.6 asks for one)',
    },
  },
];
