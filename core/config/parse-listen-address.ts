import { isIP } from 'node:net';

/** An IP address to listen on (`[::1]` and `localhost` accepted); undefined for anything else, a host name included. */
export function parseListenAddress(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'localhost') return '127.0.0.1';
  const bare = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  return isIP(bare) === 0 ? undefined : bare;
}
