/** A request path the web node may look up: its decoded segments, below the store root. */
export type RequestPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Decides, before any file system access, whether a URL path can name
 * something in the human tree. Each segment is percent-decoded exactly once
 * (so `%252e%252e` is the literal name `%2e%2e`, which no store holds);
 * anything that could climb out (`..`, an encoded `/` or `\`, a NUL) is a
 * 400, and any name starting with a dot is a 404: dotfiles, and the store's
 * internal `.image-loader/` (blobs, temp files, metadata), are never served
 * or listed. Symlinks are the caller's to check (they need the file system).
 */
export function parseRequestPath(pathname: string): RequestPath {
  if (!pathname.startsWith('/')) return { ok: false, status: 400, reason: 'the path must start with /' };
  if (pathname.includes('\\') || /%5c/i.test(pathname))
    return { ok: false, status: 400, reason: 'backslashes are not allowed in paths' };
  const raw = pathname.split('/').slice(1);
  const trailingSlash = raw.length > 0 && raw[raw.length - 1] === '';
  const segments: string[] = [];
  for (const [index, part] of raw.entries()) {
    if (part === '') {
      // Only the leading slash and one trailing slash are empty segments; `//` inside a path is refused.
      if (index === raw.length - 1) continue;
      return { ok: false, status: 400, reason: 'empty path segment' };
    }
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding' };
    }
    if (segment === '.' || segment === '..') return { ok: false, status: 400, reason: 'dot segments are not allowed' };
    if (/[/\\\0]/.test(segment))
      return { ok: false, status: 400, reason: 'encoded slash, backslash or NUL in a segment' };
    if (segment.startsWith('.')) return { ok: false, status: 404, reason: 'not found' };
    segments.push(segment);
  }
  return { ok: true, segments, trailingSlash };
}

/** The URL path of a store-relative name: each segment percent-encoded, as a link to it must be. */
export function encodeStorePath(relative: string): string {
  return `/${relative.split('/').map(encodeURIComponent).join('/')}`;
}
