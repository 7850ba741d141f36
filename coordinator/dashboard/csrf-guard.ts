/** Methods that change nothing (bull-board's GET routes only read); every other method is an action. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** What the CSRF guard looks at in a request. */
export interface OriginHeaders {
  method: string;
  /** The Host header: the dashboard's own origin as the browser addressed it. */
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  referer: string | undefined;
}

export type CsrfVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether a request may change anything: only when it comes from the
 * dashboard's own pages. Browsers send Origin with every POST, PUT, PATCH
 * and DELETE, and a page on another site cannot forge it (nor Sec-Fetch-Site,
 * nor Referer, which older browsers fall back on). Basic auth does not
 * protect here: the browser attaches cached credentials to a cross-site
 * request all the same. A request with none of the three headers (curl, a
 * script) is refused too; such a client can send an Origin.
 *
 * The own origin is the Host header (a reverse proxy must pass it through);
 * a hostile page cannot set Host either. The scheme is not compared, so the
 * dashboard works behind a TLS proxy; a port missing from Host is the
 * scheme's default.
 */
export function checkSameOrigin(request: OriginHeaders): CsrfVerdict {
  if (isSafeMethod(request.method)) return { allowed: true };
  if (request.host === undefined || request.host === '') return refuse('the request has no Host header');
  if (request.origin !== undefined) {
    return sameHost(request.origin, request.host)
      ? { allowed: true }
      : refuse(`cross-site request refused (Origin ${request.origin})`);
  }
  if (request.secFetchSite !== undefined) {
    return request.secFetchSite.toLowerCase() === 'same-origin'
      ? { allowed: true }
      : refuse(`cross-site request refused (Sec-Fetch-Site ${request.secFetchSite})`);
  }
  if (request.referer !== undefined) {
    return sameHost(request.referer, request.host)
      ? { allowed: true }
      : refuse('cross-site request refused (Referer of another origin)');
  }
  return refuse('cannot tell where the request comes from (no Origin, Sec-Fetch-Site or Referer header): send Origin');
}

function sameHost(address: string, host: string): boolean {
  // A Host header is a name and a port, nothing else ("a@b" or "a/b" would parse as another host).
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) return false;
  try {
    const url = new URL(address);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    // The Host header read with the same scheme: both sides then drop that scheme's default port alike.
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false; // "null" (a sandboxed or opaque origin) lands here too.
  }
}

function refuse(reason: string): CsrfVerdict {
  return { allowed: false, reason };
}
