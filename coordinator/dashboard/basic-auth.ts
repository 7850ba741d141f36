import { createHash, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  user: string;
  password: string;
}

/**
 * The credentials of an `Authorization: Basic ...` header (RFC 7617, UTF-8),
 * or undefined when there is none or it is not well-formed.
 */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Checks given credentials against the configured ones in constant time.
 * Both sides are hashed first, so timingSafeEqual compares equal lengths and
 * the time taken says nothing about the length of either; user and password
 * are always both compared, so it says nothing about which one was wrong.
 */
export class CredentialCheck {
  private readonly user: Buffer;
  private readonly password: Buffer;

  constructor(expected: Credentials) {
    this.user = digest(expected.user);
    this.password = digest(expected.password);
  }

  matches(given: Credentials): boolean {
    const userOk = timingSafeEqual(digest(given.user), this.user);
    const passwordOk = timingSafeEqual(digest(given.password), this.password);
    return userOk && passwordOk;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The challenge of a 401: the browser asks for a user and password and sends them as UTF-8. */
export const BASIC_CHALLENGE = 'Basic realm="image-loader dashboard", charset="UTF-8"';
