import type { Server } from 'node:http';
import type { JsonLogger } from '../log/json-logger.js';

/** One resource a stopping process releases. */
export interface Closable {
  /** Named in the log when it fails or does not close in time. */
  name: string;
  /** The orderly close (may talk to Redis, wait for requests, flush). */
  close(): Promise<unknown>;
  /** Called when `close()` has not settled by the deadline: drop the resource without waiting for anyone. */
  force?(): void;
}

export interface CloseReport {
  failed: { name: string; error: unknown }[];
  /** Closes that had not settled by the deadline (their `force()` was called). */
  timedOut: string[];
}

/**
 * Closes every resource at once and waits at most `timeoutMs`: one that
 * fails does not keep the others open, and one that hangs (a close waiting
 * for a Redis that is down) is forced at the deadline. Problems are logged
 * and returned, never thrown: a stopping process still stops.
 */
export async function closeAll(resources: Closable[], timeoutMs: number, log?: JsonLogger): Promise<CloseReport> {
  const settled = resources.map(() => false);
  const report: CloseReport = { failed: [], timedOut: [] };
  const closes = resources.map(async (resource, index) => {
    try {
      await resource.close();
    } catch (error) {
      report.failed.push({ name: resource.name, error });
    } finally {
      settled[index] = true;
    }
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(closes),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  for (const [index, resource] of resources.entries()) {
    if (settled[index]) continue;
    report.timedOut.push(resource.name);
    try {
      resource.force?.();
    } catch (error) {
      report.failed.push({ name: resource.name, error });
    }
  }
  for (const { name, error } of report.failed) log?.warn(`${name} failed to close`, { error });
  if (report.timedOut.length > 0)
    log?.warn('not closed within the stop timeout: dropped', { resources: report.timedOut, timeoutMs });
  return report;
}

/** Whether `work` settles (either way) within `timeoutMs`. */
export async function settlesWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return done;
}

/**
 * An HTTP server as a Closable: idle keep-alive connections closed at once, requests in progress let finish, and
 * what is still open at the deadline cut.
 */
export function httpServerClosable(server: Server): Closable {
  return {
    name: 'http server',
    close: () => {
      server.closeIdleConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
    force: () => server.closeAllConnections(),
  };
}
