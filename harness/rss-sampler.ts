/** A resident set size read at one moment, ms after sampling started. */
export interface RssSample {
  atMs: number;
  rssKib: number;
}

/** What a process's resident set did while it was watched. */
export interface RssTrace {
  /** The first sample: taken when sampling started. */
  startKib: number | undefined;
  /** The highest sample (a spike shorter than the interval can fall between two samples; VmHWM cannot miss it). */
  peakKib: number | undefined;
  /** The last sample: taken when sampling stopped. */
  endKib: number | undefined;
  samples: RssSample[];
}

export interface RssSampler {
  /** Takes one last sample, stops, and returns the trace. */
  stop(): RssTrace;
}

/**
 * Reads `read()` (a process's VmRSS, or a sum over processes) now and every
 * `intervalMs` until stopped. A reading of undefined (the process has gone)
 * is skipped. Reading /proc is synchronous and takes microseconds, so the
 * bench's own event loop does not skew the interval much.
 */
export function sampleRss(read: () => number | undefined, intervalMs: number): RssSampler {
  const started = performance.now();
  const samples: RssSample[] = [];
  const take = (): void => {
    const rssKib = read();
    if (rssKib !== undefined) samples.push({ atMs: performance.now() - started, rssKib });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      const values = samples.map((sample) => sample.rssKib);
      return {
        startKib: values[0],
        peakKib: values.length === 0 ? undefined : Math.max(...values),
        endKib: values.at(-1),
        samples,
      };
    },
  };
}
