import { readdir, readFile } from 'node:fs/promises';
import type { CliOptions } from './cli-process.js';
import { type FleetProcess, startFleetProcess } from './fleet-processes.js';
import { rawRequest } from './http-get.js';

/** A real `image-loader web` process on a port of its own, on loopback. */
export interface WebNode {
  process: FleetProcess;
  port: number;
  /** The pid it started with: a node that crashed and was started again would have another. */
  pid: number;
  /** Whether that very process is still running. */
  running(): boolean;
}

export async function startWebNode(store: string, options: Pick<CliOptions, 'user'> = {}): Promise<WebNode> {
  const process = startFleetProcess(
    ['web', '--store', store, '--port', '0', '--host', '127.0.0.1'],
    {},
    120_000,
    options,
  );
  const port = (
    await process.waitForLog((line) => line.msg === 'web server listening', 20_000, '"web server listening"')
  ).port as number;
  const pid = process.child.pid!;
  return { process, port, pid, running: () => process.child.exitCode === null && process.child.signalCode === null };
}

/** What /healthz said, and how long it took. */
export interface HealthAnswer {
  status: number;
  body: { status: string; state: string; reason: string; errorCode?: string; lastRoundFinishedAt?: string } & Record<
    string,
    unknown
  >;
  ms: number;
}

export async function getHealth(port: number): Promise<HealthAnswer> {
  const startedAt = Date.now();
  const response = await rawRequest(port, '/healthz');
  return {
    status: response.status,
    body: JSON.parse(response.body.toString()) as HealthAnswer['body'],
    ms: Date.now() - startedAt,
  };
}

/** A process's open file descriptors and resident memory, from /proc (readable for any process by root, for one's own otherwise). */
export async function processFootprint(pid: number): Promise<{ fds: number; rssKb: number }> {
  const fds = (await readdir(`/proc/${pid}/fd`)).length;
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return { fds, rssKb: Number(rss?.[1] ?? Number.NaN) };
}
