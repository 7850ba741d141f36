import { readFileSync } from 'node:fs';

/** A process's peak resident set, sampled while it runs. */
export interface PeakRssTracker {
  /** Stops sampling; the highest VmHWM seen, in KiB (undefined when /proc could not be read). */
  stop(): number | undefined;
}

/**
 * Samples VmHWM (the kernel's own high-water mark of the resident set, so a
 * peak between two samples is not missed) from /proc/PID/status every
 * `intervalMs` until stopped. Only growth in the last interval before the
 * process exits can escape it.
 */
export function trackPeakRss(pid: number, intervalMs = 10): PeakRssTracker {
  let peakKib: number | undefined;
  const sample = (): void => {
    try {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKib = Math.max(peakKib ?? 0, Number(match[1]));
    } catch {
      // Exited: the last sample stands.
    }
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
