import { createHash } from 'node:crypto';
import { IMAGE_EXTENSIONS, IMAGE_TYPES, type ImageType } from '../image/image-types.js';

/**
 * Maps a URL (the normalised href from the list parser) to its name in the
 * store's human tree: `host/dir/.../leaf`, relative, `/`-separated.
 *
 * The rules, each there so that distinct URLs never share a name and no name
 * is unsafe on any filesystem:
 * - Characters outside a portable set are written `^XX` (hex of each byte);
 *   `^` itself is escaped, so the mapping can be undone and stays one-to-one.
 *   `%` escapes already in the URL are kept as they are (readable, and `%`
 *   is legal everywhere).
 * - A component never starts or ends with `.` (no `.`/`..`, no dotfiles: the
 *   store's internal `.image-loader/` cannot be reached) and never is a
 *   Windows device name (`CON`, `NUL`, `COM1`, ...).
 * - An empty component (`/a//b`, or the `/` of a bare host) is `^`.
 * - The query string belongs to the leaf: `a.jpg?w=1` is `a.jpg^3Fw=1^.jpg`.
 * - A leaf always ends in an extension of its sniffed type, either its own
 *   (`a.png` for a PNG) or one added after the marker `^.` (`a^.png`), so the
 *   web server can tell the type from the name. A directory never ends in an
 *   image extension (its last `.` is escaped), so a leaf and a directory can
 *   never want the same name (`/x.png` and `/x.png/y.png`).
 * - `http:` URLs live under `host^.http`, https under `host`, so the same path
 *   on both schemes does not collide; a port other than the scheme's is part
 *   of the host (`host^3A8080`).
 * - A component over 255 bytes keeps its first 180 bytes plus `^~` and a hash
 *   of the whole component; a path over 1024 bytes becomes `host/^~<hash of
 *   the URL>^.ext`. `^~` appears in no other name.
 */
export function urlToPath(url: string, type: ImageType): string {
  const parsed = new URL(url);
  // The marker goes inside the 255-byte budget of the host component.
  const host = directoryName(parsed.host, parsed.protocol === 'http:' ? '^.http' : '');
  const segments = parsed.pathname.slice(1).split('/');
  const leafSegment = segments.pop() ?? '';
  // `search` is '' for both `/a` and `/a?`; keep the lone `?` so they stay distinct.
  parsed.hash = '';
  const query = parsed.search === '' && parsed.href.endsWith('?') ? '?' : parsed.search;
  const path = [host, ...segments.map((segment) => directoryName(segment)), leafName(leafSegment + query, type)].join(
    '/',
  );
  if (Buffer.byteLength(path) <= MAX_PATH_BYTES) return path;
  return `${host}/^~${hash(url)}^.${IMAGE_TYPES[type].extension}`;
}

const MAX_COMPONENT_BYTES = 255;
const MAX_PATH_BYTES = 1024;
const KEEP_BYTES_WHEN_SHORTENED = 180;
const PORTABLE = /^[A-Za-z0-9\-_.~!$&'()+,;=@%]$/;
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

function directoryName(segment: string, suffix = ''): string {
  let name = escapeSegment(segment);
  const dot = name.lastIndexOf('.');
  if (dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())) {
    name = `${name.slice(0, dot)}^2E${name.slice(dot + 1)}`;
  }
  return fit(name, segment, suffix);
}

function leafName(segment: string, type: ImageType): string {
  const name = escapeSegment(segment);
  const dot = name.lastIndexOf('.');
  const ownExtension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const aliases: readonly string[] = IMAGE_TYPES[type].aliases;
  if (aliases.includes(ownExtension) && Buffer.byteLength(name) <= MAX_COMPONENT_BYTES) return name;
  return fit(name, segment, `^.${IMAGE_TYPES[type].extension}`);
}

function fit(name: string, original: string, suffix: string): string {
  if (Buffer.byteLength(name) + suffix.length <= MAX_COMPONENT_BYTES) return name + suffix;
  // Cut on a character boundary and never inside a `^XX` escape.
  let kept = name.slice(0, KEEP_BYTES_WHEN_SHORTENED);
  const escapeStart = kept.lastIndexOf('^');
  if (escapeStart > kept.length - 3) kept = kept.slice(0, escapeStart);
  return `${kept}^~${hash(original)}${suffix}`;
}

function escapeSegment(segment: string): string {
  if (segment === '') return '^';
  const chars = Array.from(segment);
  const base = segment.split('.')[0] ?? '';
  const deviceName = WINDOWS_DEVICES.test(base);
  let out = '';
  chars.forEach((char, i) => {
    const edgeDot = char === '.' && (i === 0 || i === chars.length - 1);
    if (PORTABLE.test(char) && !edgeDot && !(deviceName && i === 0)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `^${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return out;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
