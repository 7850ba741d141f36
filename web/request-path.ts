/** A request path the web node may look up: its decoded segments, below the store root. */
export type RequestPath =
  | { ok: true; segments: string[]; trailingSlash: boolean }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Decides, before any file system access, whether a URL path can name
 * something in the human tree. Each segment is percent-decoded exactly once
 * (so `%252e%252e` is the literal name `%2e%2e`, which no store holds);
 * anything that could climb out (`..`, an encoded `/` or `\`, a NUL) is a
 * 400, empty segments (`//`) are merged away, and any name starting with a dot is a 404: dotfiles, and the store's
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
  for (const part of raw) {
    // A doubled slash (naive URL joining in a client's script) is merged, as nginx does: an empty segment names
    // nothing, so it cannot climb; every other segment is still checked below.
    if (part === '') continue;
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

/** A request target split into its path and query, or why it cannot name anything here. */
export type RequestTarget = { ok: true; pathname: string; query: string } | { ok: false; reason: string };

const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The path and query of a request target (RFC 9112 §3.2): the origin form
 * (`/path?query`), or the absolute form (`http://host/path?query`) that
 * proxies and some clients send, which a server must accept (§3.2.2). The
 * authority is dropped: the node serves one store whatever the host.
 */
export function splitRequestTarget(target: string): RequestTarget {
  const absolute = ABSOLUTE_FORM.exec(target);
  const rest = absolute === null ? target : target.slice(absolute[0].length);
  const [path = '', query = ''] = rest.split(/\?(.*)/s);
  if (absolute !== null) return { ok: true, pathname: path === '' ? '/' : path, query };
  if (!path.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  return { ok: true, pathname: path, query };
}

/** The web app's own paths, which a cached answer must never shadow. */
const APP_ROUTES = new Set(['healthz', 'metrics']);

/**
 * The image cache's key for a request target, or undefined when it cannot
 * name a file of the human tree: the same checks as the store route
 * (splitRequestTarget, parseRequestPath), so a path refused or redirected
 * there is never looked up, and every spelling of one path (`//`, percent
 * escapes, a query) finds the one entry.
 */
export function cachedImageKeyOf(target: string): string | undefined {
  const split = splitRequestTarget(target);
  if (!split.ok) return undefined;
  const parsed = parseRequestPath(split.pathname);
  if (!parsed.ok || parsed.trailingSlash || parsed.segments.length === 0) return undefined;
  // The app's own routes (express matches them case-insensitively) are never answered from the cache, even if a
  // file of that name at the store's root was kept when asked for as `//metrics`.
  if (parsed.segments.length === 1 && APP_ROUTES.has(parsed.segments[0]!.toLowerCase())) return undefined;
  return imageCacheKey(parsed.segments);
}

/** The image cache's key for a checked path: its decoded segments (none holds a `/`), joined by `/`. */
export function imageCacheKey(segments: readonly string[]): string {
  return segments.join('/');
}
