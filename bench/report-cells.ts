import type { RssTrace } from '../harness/rss-sampler.js';

/** Markdown cells shared by the load reports: seconds, MiB of a KiB figure, RSS traces. */
export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function seconds(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '' : (ms / 1000).toFixed(2);
}

export function mibOfKib(kib: number | undefined): string {
  return kib === undefined ? '' : (kib / 1024).toFixed(0);
}

/** `start / peak / end` in MiB. */
export function traceCell(trace: RssTrace | undefined): string {
  return trace === undefined
    ? ''
    : `${mibOfKib(trace.startKib)} / ${mibOfKib(trace.peakKib)} / ${mibOfKib(trace.endKib)}`;
}

/** A trace's readings in MiB: the first, then the first at or after each further `everyMs`, and the last. */
export function trajectory(trace: RssTrace, everyMs: number): string {
  const picked: number[] = [];
  let next = 0;
  trace.samples.forEach((sample, index) => {
    if (sample.atMs >= next || index === trace.samples.length - 1) {
      picked.push(sample.rssKib);
      next = (Math.floor(sample.atMs / everyMs) + 1) * everyMs;
    }
  });
  return picked.map(mibOfKib).join(' ');
}

/** The largest known value; undefined when none is known. */
export function maxOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}
