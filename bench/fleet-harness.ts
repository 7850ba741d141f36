import { join } from 'node:path';
import { type FleetService, startFleetService } from '../harness/fleet-service.js';
import { type RedisServer, startRedisServer } from '../harness/redis-server.js';
import { freshDir } from '../harness/scratch-dir.js';
import { coordinatorArgs, type FleetTarget, type WorkerShape, workerArgs } from './fleet-commands.js';

/** A fleet for one run: its own redis-server, and the workers and coordinator started on it. */
export interface Fleet {
  redis: RedisServer;
  target: FleetTarget;
  /** Starts `count` workers and waits for every "worker started" line (a worker that has not said so may miss the round's first jobs). */
  startWorkers(count: number, storeDir: string, shape: WorkerShape): Promise<FleetService[]>;
  startCoordinator(listFile: string, storeDir: string | undefined): FleetService;
}

const WORKER_START_TIMEOUT_MS = 60_000;
/** Idle services stop in well under a second; a worker still downloading has its --stop-timeout (30 s) first. */
const STOP_TIMEOUT_MS = 45_000;

/**
 * Runs `body` with a fresh fleet in `dir` (logs and Redis's files), then
 * stops every process it started, coordinator first (so no new round
 * starts), however `body` ended.
 */
export async function withFleet<T>(dir: string, appendonly: boolean, body: (fleet: Fleet) => Promise<T>): Promise<T> {
  const redis = await startRedisServer({ dir: freshDir(join(dir, 'redis')), appendonly });
  const workers: FleetService[] = [];
  const coordinators: FleetService[] = [];
  const target: FleetTarget = { redisUrl: redis.url, prefix: 'bench' };
  const fleet: Fleet = {
    redis,
    target,
    startWorkers: async (count, storeDir, shape) => {
      const started = Array.from({ length: count }, (_, index) =>
        startFleetService(workerArgs(target, storeDir, shape), dir, `worker-${index + 1}`),
      );
      workers.push(...started);
      await Promise.all(
        started.map((worker) =>
          worker.waitForLog((line) => line.msg === 'worker started', WORKER_START_TIMEOUT_MS, '"worker started" line'),
        ),
      );
      return started;
    },
    startCoordinator: (listFile, storeDir) => {
      const coordinator = startFleetService(
        coordinatorArgs(target, listFile, storeDir),
        dir,
        `coordinator-${coordinators.length + 1}`,
      );
      coordinators.push(coordinator);
      return coordinator;
    },
  };
  try {
    return await body(fleet);
  } finally {
    for (const coordinator of coordinators) await coordinator.stop(STOP_TIMEOUT_MS);
    await Promise.all(workers.map((worker) => worker.stop(STOP_TIMEOUT_MS)));
    await redis.stop();
  }
}
