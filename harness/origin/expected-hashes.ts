import { benchImage, imageBytes, type SizeSpread } from './image-set.js';
import { sha256 } from './sample-images.js';

const cache = new Map<string, string[]>();

/** SHA-256 of every image of a set, computed here from image-set.ts (not asked of the origin); cached per set. */
export function expectedHashes(
  count: number,
  bytes: number,
  spread: SizeSpread | undefined,
  onProgress: (done: number) => void,
): string[] {
  const key = `${count}:${bytes}:${JSON.stringify(spread ?? null)}`;
  let hashes = cache.get(key);
  if (hashes === undefined) {
    hashes = [];
    const every = Math.max(1, Math.ceil(count / 10));
    for (let index = 0; index < count; index++) {
      hashes.push(sha256(benchImage(index, imageBytes(index, bytes, spread))));
      if ((index + 1) % every === 0) onProgress(index + 1);
    }
    cache.set(key, hashes);
  }
  return hashes;
}
