import { ErrorCode } from '../errors/error-codes.js';

/** What one line of a URL list says. Pure: no I/O, no state across lines. */
export type ParsedLine =
  | { kind: 'skip' }
  | { kind: 'url'; url: string }
  | { kind: 'invalid'; code: ErrorCode; reason: string };

const ALLOWED_SCHEMES = new Set(['http:', 'https:']);
// C0 controls, DEL and C1 controls: never part of a URL someone meant to write.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const INNER_SPACE = /\s/;
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
// `example.com:8080/a.jpg` would parse with the scheme "example.com:": it is a host and port, the scheme missing.
const HOST_AND_PORT = /^[a-z0-9.-]+:\d+(\/|$)/i;

/**
 * Parses the text of one list line (already decoded, without its line ending).
 * Blank lines and `#` comments are skipped; everything else must be an
 * absolute http(s) URL without credentials. The returned URL is the WHATWG
 * serialisation without fragment: the one string used to request, to
 * deduplicate and to name the file.
 */
export function parseListLine(text: string): ParsedLine {
  const line = text.trim();
  if (line === '' || line.startsWith('#')) return { kind: 'skip' };

  if (CONTROL.test(line)) {
    return invalid(ErrorCode.InvalidUrl, 'contains control characters (NUL, escape or similar)');
  }
  if (INNER_SPACE.test(line)) {
    return invalid(ErrorCode.InvalidUrl, 'contains whitespace; one URL per line, spaces must be percent-encoded');
  }

  if (!SCHEME.test(line) || HOST_AND_PORT.test(line)) {
    return invalid(
      ErrorCode.InvalidUrl,
      `not an absolute URL (no scheme); did you mean https://${line.replace(/^\/+/, '')}?`,
    );
  }
  let url: URL;
  try {
    url = new URL(line);
  } catch {
    return invalid(ErrorCode.InvalidUrl, 'not a valid URL');
  }
  if (!ALLOWED_SCHEMES.has(url.protocol)) {
    return invalid(
      ErrorCode.UnsupportedScheme,
      `unsupported scheme "${url.protocol}"; only http: and https: are fetched`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    return invalid(
      ErrorCode.CredentialsInUrl,
      'contains credentials (user:password@); they would be logged and stored, so such URLs are refused',
    );
  }
  if (url.hostname === '') {
    return invalid(ErrorCode.InvalidUrl, 'has no host');
  }
  url.hash = '';
  return { kind: 'url', url: url.href };
}

function invalid(code: ErrorCode, reason: string): ParsedLine {
  return { kind: 'invalid', code, reason };
}
