import { createCipheriv, createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * Deterministic pseudo-random bytes from a seed (so tests and benchmarks can
 * recompute expected content): AES-256-CTR over zeros, keyed by the seed's
 * hash, at memory speed even for the benchmark's 5 MB images.
 */
export function seededBytes(length: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** A valid PNG, `size` x `size` pixels of a colour derived from `seed`, viewable in a browser. */
export function makePng(seed: string, size = 16): Buffer {
  const [r, g, b] = createHash('sha256').update(seed).digest();
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x++) row.set([r!, g!, b!], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A body that sniffs as JPEG (SOI marker), `length` bytes long; payload from `seed`. */
export function makeJpegLike(length: number, seed: string): Buffer {
  const body = seededBytes(length, seed);
  body.set([0xff, 0xd8, 0xff, 0xe0], 0);
  body.set([0xff, 0xd9], length - 2);
  return body;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
