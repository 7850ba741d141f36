import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8 and ::1 (also IPv4-mapped, ::ffff:127.0.0.1, which BlockList matches). */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  return family !== 0 && loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * True when a request's Host header names this machine's loopback
 * (`localhost`, 127.x, [::1], with any port). A dashboard without
 * credentials answers only these: a hostile web page can make its own name
 * resolve to 127.0.0.1 (DNS rebinding) and then read the dashboard as
 * "same origin", but its requests still carry its own name in Host.
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  // A URL's host is the whole header only when nothing else hid in it ("a@b", a path).
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) return false;
  return hostname === 'localhost' || isLoopbackAddress(hostname);
}
