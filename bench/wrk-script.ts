import { writeFile } from 'node:fs/promises';
import { seededBytes } from '../harness/origin/sample-images.js';

/** Shares of a load's requests, summing to 1. */
export interface RequestMix {
  /** Stored images, each equally likely. */
  images: number;
  /** Folder listings (serve-index pages), each listing path equally likely. */
  listings: number;
  healthz: number;
}

/** The paths a load run asks for, in order, and how many of each kind. */
export interface RequestSequence {
  paths: string[];
  counts: { images: number; listings: number; healthz: number };
}

/** Long enough that each of 1,000 images comes up about 10 times per pass; wrk cycles through it. */
const SEQUENCE_LENGTH = 10_000;
const SEED = 'bench-wrk-sequence';

/**
 * A fixed, shuffled sequence of request paths in the proportions of `mix`
 * (the same sequence for every server, so every server gets the same
 * requests), drawn from seeded pseudo-random bytes (two 32-bit draws a
 * request: its kind, then which one).
 */
export function requestSequence(
  mix: RequestMix,
  imagePaths: readonly string[],
  listingPaths: readonly string[],
): RequestSequence {
  const bytes = seededBytes(SEQUENCE_LENGTH * 8, SEED);
  let offset = 0;
  const random = (): number => {
    const value = bytes.readUInt32LE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const counts = { images: 0, listings: 0, healthz: 0 };
  const paths: string[] = [];
  for (let index = 0; index < SEQUENCE_LENGTH; index++) {
    const draw = random();
    if (draw < mix.healthz) {
      counts.healthz++;
      paths.push('/healthz');
    } else if (draw < mix.healthz + mix.listings) {
      counts.listings++;
      paths.push(pick(listingPaths));
    } else {
      counts.images++;
      paths.push(pick(imagePaths));
    }
  }
  return { paths, counts };
}

/**
 * A wrk Lua script that sends `paths` in a cycle. Each thread formats every
 * request once in init() (formatting per request would cost wrk CPU that
 * the server under test shares) and starts at its own offset, so the two
 * threads do not ask for the same file at the same moment. No response()
 * callback: one makes wrk parse every response in Lua.
 */
export async function writeWrkScript(file: string, paths: readonly string[]): Promise<void> {
  const literals = paths.map((path) => `  ${JSON.stringify(path)},`).join('\n');
  await writeFile(
    file,
    `-- Written by image-loader's bench (bench/wrk-script.ts).
local paths = {
${literals}
}
local requests = {}
local position = 0
local threads = 0

function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

function init(args)
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path)
  end
  position = ((thread_number or 0) * math.floor(#requests / 2)) % #requests
end

function request()
  position = position % #requests + 1
  return requests[position]
end
`,
  );
}
