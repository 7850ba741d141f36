const UNITS: Array<[unit: string, bytes: number]> = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/**
 * 52428800 -> "50MiB": a byte count written the way a size setting accepts
 * it (`parseSize` reads every result back exactly): the largest binary unit
 * that divides it, else plain bytes. For defaults in help and the reference;
 * `formatBytes` rounds for people instead.
 */
export function formatSize(bytes: number): string {
  for (const [unit, size] of UNITS) if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}
