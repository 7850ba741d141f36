import { after, before } from 'node:test';
import type { FleetProcess } from './fleet-processes.js';
import { type ImageOrigin, type ImageOriginOptions, startImageOrigin } from './origin/image-origin.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { tempDir } from './scratch-dir.js';

/** What a fleet suite's tests share: one redis-server (AOF), one origin, one scratch folder, and the processes they start. */
export interface FleetSuite {
  readonly redis: RedisServer;
  readonly origin: ImageOrigin;
  /** The suite's scratch folder. */
  readonly dir: string;
  /** Keeps `process` to be ended after the suite's last test; returns it. */
  track<P extends FleetProcess>(process: P): P;
}

export interface FleetSuiteOptions {
  origin?: ImageOriginOptions;
  /**
   * How the processes still running after the last test end: `stop` (SIGTERM, each awaited) or `kill` (SIGKILL,
   * for a suite whose tests time their own stops and must not wait on one that failed to).
   */
  end: 'stop' | 'kill';
}

/**
 * Registers, inside a describe, the hooks that start the suite's parts before its first test and end them, and
 * every tracked process, after its last. The parts are there from the first test on; reading one earlier throws.
 */
export function fleetSuite(options: FleetSuiteOptions): FleetSuite {
  let redis: RedisServer | undefined;
  let origin: ImageOrigin | undefined;
  let dir: { path: string; remove(): Promise<void> } | undefined;
  const running: FleetProcess[] = [];
  before(async () => {
    dir = await tempDir();
    // With AOF, fleet mode's shipped configuration: a test that restarts Redis finds its data again.
    redis = await startRedisServer({ dir: dir.path });
    origin = await startImageOrigin(options.origin);
  });
  after(async () => {
    if (options.end === 'stop') await Promise.all(running.map((process) => process.stop()));
    else for (const process of running) if (process.child.exitCode === null) process.child.kill('SIGKILL');
    await origin?.close();
    await redis?.stop();
    await dir?.remove();
  });
  const started = <T>(part: T | undefined, name: string): T => {
    if (part === undefined) throw new Error(`the fleet suite's ${name} is started by its before hook`);
    return part;
  };
  return {
    get redis() {
      return started(redis, 'redis-server');
    },
    get origin() {
      return started(origin, 'origin');
    },
    get dir() {
      return started(dir, 'scratch folder').path;
    },
    track(process) {
      running.push(process);
      return process;
    },
  };
}
