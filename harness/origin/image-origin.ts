import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the origin answers one path. */
export type Behavior =
  | {
      kind: 'image';
      body: Buffer;
      contentType?: string;
      etag?: boolean;
      lastModified?: boolean;
      headers?: Record<string, string>;
    }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'redirect'; location: string; status?: number }
  /** Sends headers and `sent` bytes of a `contentLength`-byte body, then goes silent forever. */
  | { kind: 'stall'; sent: Buffer; contentLength: number }
  /** Sends headers and `sent` bytes of a `contentLength`-byte body, then resets the connection. */
  | { kind: 'reset'; sent: Buffer; contentLength: number }
  /** Streams `length` bytes starting with `head`, with or without a Content-Length. */
  | { kind: 'stream'; head: Buffer; length: number; declareLength: boolean }
  /**
   * Declares a Content-Length of `contentLength` and sends `body`, then: `close` ends the connection,
   * `hang` goes silent forever, `overflow` writes `extraBytes` more bytes on the socket past the declared body.
   */
  | { kind: 'lie'; contentLength: number; body: Buffer; then: 'close' | 'hang' | 'overflow'; extraBytes?: number }
  /** Sends headers without a Content-Length and `head`, then `chunkBytes` every `intervalMs`, forever. */
  | { kind: 'trickle'; head: Buffer; chunkBytes: number; intervalMs: number }
  /** Waits `ms` before answering as `then` (a slow server for one path). */
  | { kind: 'delay'; ms: number; then: Behavior }
  /** The n-th request (0-based) gets steps[n]; the last step repeats. */
  | { kind: 'sequence'; steps: Behavior[] };

export interface OriginStats {
  requests: number;
  /** Body bytes of 200 responses actually written. */
  bodyBytes: number;
  notModified: number;
  inFlight: number;
  maxInFlight: number;
  /** TCP connections accepted: fewer than requests when keep-alive reuses them. */
  connections: number;
  byPath: Map<string, number>;
  /** When each request per path arrived (ms since epoch). */
  arrivals: Map<string, number[]>;
  /** Request headers of the most recent request per path. */
  lastHeaders: Map<string, IncomingMessage['headers']>;
  /** When each response per path was closed: finished, or the client hung up (ms since epoch). */
  closedAt: Map<string, number[]>;
}

export interface ImageOrigin {
  /** `http://host:port` */
  url: string;
  port: number;
  stats: OriginStats;
  set(path: string, behavior: Behavior): void;
  /** Serves every path not set explicitly: return undefined for a 404. */
  fallback(resolver: (path: string) => Behavior | undefined): void;
  resetStats(): void;
  close(): Promise<void>;
}

export interface ImageOriginOptions {
  host?: string;
  /** Delay before answering each request, like a distant server. */
  latencyMs?: number;
}

/**
 * A real HTTP server on a free loopback port that serves images with
 * ETag/Last-Modified/304 and every fault a download must survive. Used by the
 * tests, the benchmarks and the demo.
 */
export async function startImageOrigin(options: ImageOriginOptions = {}): Promise<ImageOrigin> {
  const routes = new Map<string, Behavior>();
  const counters = new Map<string, number>();
  let resolver: ((path: string) => Behavior | undefined) | undefined;
  const sockets = new Set<Socket>();
  const stats = freshStats();

  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    stats.byPath.set(path, (stats.byPath.get(path) ?? 0) + 1);
    stats.arrivals.set(path, [...(stats.arrivals.get(path) ?? []), Date.now()]);
    stats.lastHeaders.set(path, request.headers);
    let ended = false;
    const end = (): void => {
      if (!ended) {
        ended = true;
        stats.inFlight--;
        stats.closedAt.set(path, [...(stats.closedAt.get(path) ?? []), Date.now()]);
      }
    };
    response.on('close', end);
    const count = counters.get(path) ?? 0;
    counters.set(path, count + 1);
    const behavior = routes.get(path) ?? resolver?.(path) ?? { kind: 'status', status: 404, body: 'not found' };
    const answer = (): void => respond(behavior, count, request, response, stats);
    if (options.latencyMs) setTimeout(answer, options.latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 10_000;
  server.on('connection', (socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stats,
    set: (path, behavior) => {
      routes.set(path, behavior);
      counters.delete(path);
    },
    fallback: (next) => {
      resolver = next;
    },
    resetStats: () => Object.assign(stats, freshStats()),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function respond(
  behavior: Behavior,
  count: number,
  request: IncomingMessage,
  response: ServerResponse,
  stats: OriginStats,
): void {
  switch (behavior.kind) {
    case 'delay': {
      const timer = setTimeout(() => respond(behavior.then, count, request, response, stats), behavior.ms);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    case 'sequence':
      respond(behavior.steps[Math.min(count, behavior.steps.length - 1)]!, count, request, response, stats);
      return;
    case 'image': {
      const etag = etagOf(behavior.body);
      const lastModified = new Date(Date.UTC(2026, 0, 1) + behavior.body.length * 1000).toUTCString();
      const headers: Record<string, string> = {
        'content-type': behavior.contentType ?? 'image/png',
        ...behavior.headers,
      };
      if (behavior.etag !== false) headers.etag = etag;
      if (behavior.lastModified !== false) headers['last-modified'] = lastModified;
      const matchesEtag = behavior.etag !== false && request.headers['if-none-match'] === etag;
      const matchesDate =
        behavior.etag === false &&
        behavior.lastModified !== false &&
        request.headers['if-modified-since'] === lastModified;
      if (matchesEtag || matchesDate) {
        stats.notModified++;
        response.writeHead(304, headers).end();
        return;
      }
      headers['content-length'] = String(behavior.body.length);
      response.writeHead(200, headers);
      stats.bodyBytes += behavior.body.length;
      response.end(behavior.body);
      return;
    }
    case 'status':
      response
        .writeHead(behavior.status, { 'content-type': 'text/plain', ...behavior.headers })
        .end(behavior.body ?? '');
      return;
    case 'redirect':
      response.writeHead(behavior.status ?? 302, { location: behavior.location }).end();
      return;
    case 'stall':
    case 'reset':
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(behavior.contentLength) });
      response.write(behavior.sent);
      stats.bodyBytes += behavior.sent.length;
      if (behavior.kind === 'reset') setTimeout(() => response.socket?.resetAndDestroy(), 20);
      return;
    case 'lie': {
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': String(behavior.contentLength) });
      stats.bodyBytes += behavior.body.length;
      if (behavior.then === 'overflow') {
        // Past the declared length Node would refuse to write; the socket takes the excess.
        response.end(behavior.body, () => response.socket?.write(Buffer.alloc(behavior.extraBytes ?? 0, 0x42)));
      } else {
        response.write(behavior.body, () => {
          if (behavior.then === 'close') response.socket?.end();
        });
      }
      return;
    }
    case 'trickle': {
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      response.write(behavior.head);
      const timer = setInterval(() => {
        stats.bodyBytes += behavior.chunkBytes;
        response.write(Buffer.alloc(behavior.chunkBytes, 0x41));
      }, behavior.intervalMs);
      response.on('close', () => clearInterval(timer));
      return;
    }
    case 'stream': {
      const headers: Record<string, string> = { 'content-type': 'image/jpeg' };
      if (behavior.declareLength) headers['content-length'] = String(behavior.length);
      response.writeHead(200, headers);
      let sent = 0;
      const filler = Buffer.alloc(64 * 1024, 0x41);
      const pump = (): void => {
        while (sent < behavior.length) {
          const piece =
            sent === 0 ? behavior.head : filler.subarray(0, Math.min(filler.length, behavior.length - sent));
          sent += piece.length;
          stats.bodyBytes += piece.length;
          if (!response.write(piece)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      response.on('close', () => response.removeAllListeners('drain'));
      pump();
      return;
    }
  }
}

function freshStats(): OriginStats {
  return {
    requests: 0,
    bodyBytes: 0,
    notModified: 0,
    inFlight: 0,
    maxInFlight: 0,
    connections: 0,
    byPath: new Map(),
    arrivals: new Map(),
    lastHeaders: new Map(),
    closedAt: new Map(),
  };
}

const etags = new WeakMap<Buffer, string>();

/** A strong ETag from the body's hash, computed once per body: hashing a 5 MB image on every request made the origin, not the client, the bottleneck of benchmarks. */
function etagOf(body: Buffer): string {
  let etag = etags.get(body);
  if (etag === undefined) {
    etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    etags.set(body, etag);
  }
  return etag;
}
