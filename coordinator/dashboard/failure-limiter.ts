import { isIP } from 'node:net';

export interface FailureLimiterOptions {
  /** Failures allowed within the window; the next attempt is refused until the oldest of them ages out. @defaultValue 10 */
  maxFailures: number;
  /** @defaultValue 60000 */
  windowMs: number;
  /** Clients remembered at most, so a flood from many addresses cannot grow memory without bound. @defaultValue 10000 */
  maxClients: number;
}

const DEFAULTS: FailureLimiterOptions = { maxFailures: 10, windowMs: 60_000, maxClients: 10_000 };

/**
 * Counts failed logins per client over a sliding window: after
 * `maxFailures` failures within `windowMs`, the client is refused (HTTP 429)
 * until the oldest of them is older than the window, whatever it sends, so
 * guessing is capped at `maxFailures` a window. A success forgets the
 * client's failures.
 */
export class FailureLimiter {
  private readonly options: FailureLimiterOptions;
  private readonly failures = new Map<string, number[]>();

  constructor(
    options: Partial<FailureLimiterOptions> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Milliseconds until `client` may try again; 0 when it may now. */
  retryAfterMs(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.options.maxFailures) return 0;
    return recent[recent.length - this.options.maxFailures]! + this.options.windowMs - this.clock();
  }

  /** Records a failure; true when it used up the client's last attempt (the moment to log it once). */
  recordFailure(client: string): boolean {
    const recent = this.recent(client);
    recent.push(this.clock());
    // Only the newest maxFailures matter for the decision.
    if (recent.length > this.options.maxFailures) recent.splice(0, recent.length - this.options.maxFailures);
    this.failures.delete(client);
    this.failures.set(client, recent);
    if (this.failures.size > this.options.maxClients) this.evict();
    return recent.length === this.options.maxFailures;
  }

  recordSuccess(client: string): void {
    this.failures.delete(client);
  }

  /** Clients with failures in the window (for tests and logs). */
  get size(): number {
    return this.failures.size;
  }

  private recent(client: string): number[] {
    const since = this.clock() - this.options.windowMs;
    return (this.failures.get(client) ?? []).filter((time) => time > since);
  }

  // Forget clients whose failures have all aged out; if that is not enough, the least recently failing ones
  // (a Map iterates in insertion order, and recordFailure re-inserts).
  private evict(): void {
    const since = this.clock() - this.options.windowMs;
    for (const [client, times] of this.failures) {
      if (times[times.length - 1]! <= since) this.failures.delete(client);
    }
    for (const client of this.failures.keys()) {
      if (this.failures.size <= this.options.maxClients) break;
      this.failures.delete(client);
    }
  }
}

/**
 * The key a client is counted under: its IPv4 address (also when it comes
 * IPv4-mapped, ::ffff:a.b.c.d), or the /64 of an IPv6 address, since one
 * host usually holds a whole /64 and could otherwise rotate addresses.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const groups = expandIpv6(address);
  return groups === undefined ? address : `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] | undefined {
  const [head, tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const left = head === '' || head === undefined ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  if (tail === undefined && left.length !== 8) return undefined;
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16));
}
