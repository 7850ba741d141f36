import { createHash } from 'node:crypto';
import { makeJpegLike } from './sample-images.js';

/**
 * The benchmark's images: image `index` of a set of `bytes`-byte images is
 * always the same bytes, so the origin can serve it and the bench can check
 * every downloaded file without sharing anything but this module.
 */
export const IMAGE_PREFIX = '/img/';

/** The single large file of the streaming floor (scenario 2). */
export const FLOOR_PATH = '/floor/all-in-one.jpg';

const FLOOR_HEAD_BYTES = 64 * 1024;
const FLOOR_FILLER_BYTES = 64 * 1024;
const INDEX_DIGITS = 6;

/** `000042.jpg`: unique per index, so curl and aria2c (which name files after the URL's last segment) never collide. */
export function imageFileName(index: number): string {
  return `${String(index).padStart(INDEX_DIGITS, '0')}.jpg`;
}

export function imagePath(index: number): string {
  return `${IMAGE_PREFIX}${imageFileName(index)}`;
}

/** The index named by a request path, or undefined when the path is not an image of the set. */
export function parseImagePath(path: string): number | undefined {
  const match = /^\/img\/(\d{6})\.jpg$/.exec(path);
  return match === null ? undefined : Number(match[1]);
}

export function benchImage(index: number, bytes: number): Buffer {
  return makeJpegLike(bytes, `bench-image:${bytes}:${index}`);
}

/**
 * A set of images of different sizes: from the set's `bytes` (the smallest)
 * up to `maxBytes`, spread log-uniformly (many small images, few near the
 * top, as on real sites), and optionally a run of `large.count` consecutive
 * images of `large.bytes` from index `large.first`: in list order, so that
 * a client working through the list holds as many large bodies at once as
 * the run is long.
 */
export interface SizeSpread {
  maxBytes: number;
  large?: { first: number; count: number; bytes: number } | undefined;
}

/** `5120-204800 B, 64 of 5242880 B`: a set's sizes, for logs and reports. */
export function describeSizes(bytes: number, spread: SizeSpread | undefined): string {
  if (spread === undefined) return `${bytes} B`;
  return `${bytes}-${spread.maxBytes} B${spread.large === undefined ? '' : `, ${spread.large.count} of ${spread.large.bytes} B`}`;
}

/** The golden ratio's fractional part: index x this, modulo 1, spreads indexes evenly over [0, 1) in no particular order. */
const GOLDEN_FRACTION = 0.6180339887498949;

/** Size of image `index` of a set whose images are `bytes` long, or spread from there by `spread`. */
export function imageBytes(index: number, bytes: number, spread: SizeSpread | undefined): number {
  if (spread === undefined) return bytes;
  const { large } = spread;
  if (large !== undefined && index >= large.first && index < large.first + large.count) return large.bytes;
  const fraction = ((index + 1) * GOLDEN_FRACTION) % 1;
  return Math.round(bytes * (spread.maxBytes / bytes) ** fraction);
}

/** The first bytes of the floor file; the origin's `stream` behaviour pads them with 0x41 up to the length. */
export function floorHead(): Buffer {
  return makeJpegLike(FLOOR_HEAD_BYTES, 'bench-floor-head');
}

/** SHA-256 of what the origin streams for the floor file of `length` bytes (head, then 0x41 filler). */
export function floorSha256(length: number): string {
  const head = floorHead();
  const hash = createHash('sha256').update(head);
  const filler = Buffer.alloc(FLOOR_FILLER_BYTES, 0x41);
  for (let left = length - head.length; left > 0; left -= filler.length)
    hash.update(filler.subarray(0, Math.min(filler.length, left)));
  return hash.digest('hex');
}
