import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU and memory a process has used so far, read from /proc while it still runs. */
export interface ProcessUsage {
  /** User plus system CPU time. */
  cpuMs: number;
  /** VmHWM: the process's peak resident set. */
  peakRssKib: number;
  /** VmRSS: its resident set now. */
  rssKib: number;
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A running process's usage; undefined once it is gone. utime and stime are fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name (which may hold spaces). */
export function readProcessUsage(pid: number): ProcessUsage | undefined {
  try {
    const fields = statFields(pid);
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, peakRssKib: kib('VmHWM'), rssKib: kib('VmRSS') };
  } catch {
    return undefined;
  }
}

/**
 * `pid` and every process below it, parents first. Found by scanning
 * /proc for parent ids: this kernel has no /proc/PID/task/TID/children.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const parent = Number(statFields(Number(name))[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // Exited while we looked.
    }
  }
  const tree = [pid];
  for (let next = 0; next < tree.length; next++) tree.push(...(children.get(tree[next]!) ?? []));
  return tree;
}

/** Usage summed over processes (a server's master and workers); undefined when none of them runs. peakRssKib is the sum of their peaks, which need not have coincided. */
export function sumUsage(pids: readonly number[]): ProcessUsage | undefined {
  const usages = pids.map(readProcessUsage).filter((usage): usage is ProcessUsage => usage !== undefined);
  if (usages.length === 0) return undefined;
  return usages.reduce((total, usage) => ({
    cpuMs: total.cpuMs + usage.cpuMs,
    peakRssKib: total.peakRssKib + usage.peakRssKib,
    rssKib: total.rssKib + usage.rssKib,
  }));
}

/** The fields of /proc/PID/stat after the command name: [0] is the state, [1] the parent's pid. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A process's peak resident set, sampled while it runs. */
export interface PeakRssTracker {
  /** Stops sampling; the highest VmHWM seen, in KiB (undefined when /proc could not be read). */
  stop(): number | undefined;
}

/**
 * Samples VmHWM (the kernel's own high-water mark of the resident set, so a
 * peak between two samples is not missed) every `intervalMs` until stopped.
 * Only growth in the last interval before the process exits can escape it.
 */
export function trackPeakRss(pid: number, intervalMs = 10): PeakRssTracker {
  let peakKib: number | undefined;
  const sample = (): void => {
    const usage = readProcessUsage(pid);
    if (usage !== undefined) peakKib = Math.max(peakKib ?? 0, usage.peakRssKib);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peakKib;
    },
  };
}
