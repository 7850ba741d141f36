import { join } from 'node:path';
import { expectedHashes } from '../harness/origin/expected-hashes.js';
import { describeSizes } from '../harness/origin/image-set.js';
import { type BenchOrigin, type OriginSpec, startBenchOrigin } from '../harness/origin/origin-client.js';
import { freshDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';

/** Generating a large image set can take minutes on a slow machine: the origin gets this long to come up. */
const ORIGIN_START_TIMEOUT_MS = 600_000;

/** What every image scenario starts from: its scratch folder, its origin process, and the images' expected hashes. */
export interface ScenarioOrigin {
  dir: string;
  origin: BenchOrigin;
  /** SHA-256 of image i, computed here, not asked of the origin. */
  expected: string[];
}

/**
 * Starts a scenario's origin and, while it generates its images, computes
 * the hashes every stored file will be checked against.
 */
export async function startScenarioOrigin(
  id: string,
  spec: OriginSpec,
  options: BenchOptions,
): Promise<ScenarioOrigin> {
  const dir = freshDir(join(options.scratchRoot, id));
  options.log(
    `[${id}] starting origin (${spec.count} x ${describeSizes(spec.bytes, spec.spread)}, ${spec.latencyMs} ms) and computing expected hashes`,
  );
  const starting = startBenchOrigin(spec, ORIGIN_START_TIMEOUT_MS);
  starting.catch(() => {}); // awaited below; the hashing meanwhile must not see an unhandled rejection
  const expected = expectedHashes(spec.count, spec.bytes, spec.spread, (done) =>
    options.log(`[${id}] expected hashes ${done}/${spec.count}`),
  );
  return { dir, origin: await starting, expected };
}
