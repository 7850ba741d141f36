import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Every socket read allocates a fresh buffer outside V8's heap (the body chunks undici hands on are slices of
 * it), and V8 collects such buffers only after 64 MB of them built up since its last collection: its heap of
 * ~12 MB never fills. So 16 streams of 5 MB images carried ~64 MB of dead socket buffers on top of the
 * process's ~60 MB (peak RSS 125-145 MB, every collection logged by --trace-gc as "external memory pressure").
 * Asking for a young-generation collection after each COLLECT_EVERY_BYTES of body bytes frees them while
 * they are young: the heap is not capped, the collections are merely earlier (each well under a
 * millisecond, as few as one per 8 MB).
 */
const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;

let sinceCollect = 0;
let collect: Collect | null | undefined;

/** Counts body bytes received; every COLLECT_EVERY_BYTES, frees the dead socket buffers behind them. */
export function noteBodyBytes(bytes: number): void {
  sinceCollect += bytes;
  if (sinceCollect < COLLECT_EVERY_BYTES) return;
  sinceCollect = 0;
  collect ??= loadCollect();
  collect?.({ type: 'minor' });
}

/** V8's gc(), exposed for this process (a new context gets the function once the flag is set); null if refused. */
function loadCollect(): Collect | null {
  try {
    setFlagsFromString('--expose-gc');
    const found: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    return typeof found === 'function' ? (found as Collect) : null;
  } catch {
    return null;
  }
}
