import { IMAGE_LOADER_CLI } from '../harness/cli-process.js';
import type { Command } from './measure.js';

/**
 * The command lines of fleet mode's processes, in one place (as peers.ts
 * is for the tools `fetch` is compared with). Every setting is a flag, so
 * nothing in the bench's own environment reaches them.
 */
export interface FleetTarget {
  /** `redis://127.0.0.1:PORT`: the run's own redis-server. */
  redisUrl: string;
  prefix: string;
}

export interface WorkerShape {
  concurrency: number;
  /** This process's --per-host. */
  perHost: number;
  /** --fleet-per-host: the cap summed over every worker. */
  fleetPerHost: number;
}

/** The scheduler's first round fires at once; an hour keeps a second one from starting during a measurement. */
const EVERY = '1h';

export function workerArgs(fleet: FleetTarget, storeDir: string, shape: WorkerShape): string[] {
  return [
    'worker',
    '--store',
    storeDir,
    '--redis',
    fleet.redisUrl,
    '--prefix',
    fleet.prefix,
    '--allow-private',
    '--concurrency',
    String(shape.concurrency),
    '--per-host',
    String(shape.perHost),
    '--fleet-per-host',
    String(shape.fleetPerHost),
  ];
}

/** Without `storeDir` the coordinator writes no summary (the enqueue scenario needs none). */
export function coordinatorArgs(fleet: FleetTarget, listFile: string, storeDir: string | undefined): string[] {
  return [
    'coordinator',
    '--list',
    listFile,
    '--every',
    EVERY,
    '--redis',
    fleet.redisUrl,
    '--prefix',
    fleet.prefix,
    ...(storeDir === undefined ? [] : ['--store', storeDir]),
  ];
}

/** `image-loader web` on loopback, on any free port (its "web server listening" line says which); an hour's interval, so /healthz does not call a store of a few minutes stale. */
export function webArgs(storeDir: string): string[] {
  return ['web', '--store', storeDir, '--host', '127.0.0.1', '--port', '0', '--every', '1h'];
}

/** `image-loader round --wait`: asks for a round now and exits when it has completed. */
export function roundWaitCommand(fleet: FleetTarget): Command {
  return {
    command: process.execPath,
    args: [IMAGE_LOADER_CLI, 'round', '--wait', '--redis', fleet.redisUrl, '--prefix', fleet.prefix],
  };
}
