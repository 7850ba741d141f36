import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import { isPrivateAddress } from './address-policy.js';
import { keepHttpParserBaseline } from './http-parser-tier.js';
import { Agent, buildConnector, type HttpAgent } from './undici-parts.js';

export interface HttpClientOptions {
  /** Open connections per origin (scheme, host, port), reused with keep-alive. @defaultValue 8 */
  perHost: number;
  /** Time to establish TCP (and TLS). @defaultValue 10000 */
  connectTimeoutMs: number;
  /** Time from sending the request to the response headers. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks (undici's bodyTimeout is idle time, not a total). */
  idleTimeoutMs: number;
  /** Refuse connections to loopback, private, link-local, unique-local and unspecified addresses. */
  blockPrivateAddresses: boolean;
  /** Which peer addresses to refuse when blocking; tests narrow it to tell two loopback addresses apart. @defaultValue isPrivateAddress */
  isBlockedAddress?: (address: string) => boolean;
}

/**
 * One undici Agent shared by every download of a process: a pool per origin
 * (so `perHost` caps connections per host and keep-alive reuses them), and,
 * unless private addresses are allowed, a connector that refuses them twice:
 * at DNS resolution (no packet is sent to a refused name) and on the socket's
 * actual peer address (which also covers literal IPs and every redirect hop,
 * since each hop connects through here).
 */
export function createHttpAgent(options: HttpClientOptions): HttpAgent {
  keepHttpParserBaseline();
  const isBlocked = options.isBlockedAddress ?? isPrivateAddress;
  const baseConnect = buildConnector({
    timeout: options.connectTimeoutMs,
    ...(options.blockPrivateAddresses ? { lookup: publicOnlyLookup(isBlocked) } : {}),
  });
  const connect: BuildConnector.connector = options.blockPrivateAddresses
    ? (connectOptions, callback) => {
        const literal = connectOptions.hostname.replace(/^\[|\]$/g, '');
        if (isIP(literal) !== 0 && isBlocked(literal)) {
          callback(blockedAddress(connectOptions.hostname, literal), null);
          return;
        }
        baseConnect(connectOptions, (error, socket) => {
          if (error || !socket) return callback(error ?? new Error('connect failed'), null);
          const peer = (socket as Socket).remoteAddress;
          if (peer === undefined || isBlocked(peer)) {
            socket.destroy();
            return callback(blockedAddress(connectOptions.hostname, peer ?? 'an unknown address'), null);
          }
          callback(null, socket);
        });
      }
    : baseConnect;

  return new Agent({
    connections: options.perHost,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.idleTimeoutMs,
    connect,
  });
}

function blockedAddress(host: string, address: string): ImageLoaderError {
  return new ImageLoaderError(
    ErrorCode.BlockedAddress,
    `refused to connect to ${host} (${address}): a loopback, private, link-local or otherwise non-public address; use --allow-private to permit it`,
  );
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, minus every blocked address; fails when none is left. */
function publicOnlyLookup(isBlocked: (address: string) => boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const allowed = addresses.filter((entry) => !isBlocked(entry.address));
      if (allowed.length === 0) {
        return callback(
          blockedAddress(
            hostname,
            addresses.map((entry) => entry.address).join(', '),
          ) as unknown as NodeJS.ErrnoException,
          [],
        );
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
