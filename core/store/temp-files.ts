import { randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

const SUFFIX = '.part';

/**
 * Names temp files `<host>.<pid>.<random>.part`, so that a later start can
 * tell its own host's dead processes' leftovers (safe to delete at once) from
 * files another live process, maybe on another host sharing the store over
 * NFS, is still writing.
 */
export function tempFileName(): string {
  // The host, pid and a per-process random part are computed once: this runs several times per image.
  processPrefix ??= `${safeHostname()}.${process.pid}.${randomBytes(4).toString('hex')}`;
  return `${processPrefix}.${(++counter).toString(36)}${SUFFIX}`;
}

let processPrefix: string | undefined;
let counter = 0;

export interface CleanTempOptions {
  /** Files of other hosts (or unparseable names) are removed only when older than this. */
  staleAfterMs: number;
  now?: number;
}

/** Removes temp files left by killed runs; returns how many. */
export async function cleanStaleTempFiles(tmpDir: string, options: CleanTempOptions): Promise<number> {
  const now = options.now ?? Date.now();
  const me = safeHostname();
  let removed = 0;
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    const path = join(tmpDir, name);
    const [host, pidText] = name.split('.');
    const pid = Number(pidText);
    const ownHostDeadProcess = host === me && Number.isInteger(pid) && pid !== process.pid && !isAlive(pid);
    let stale = ownHostDeadProcess;
    if (!stale) {
      const info = await stat(path).catch(() => undefined);
      stale = info !== undefined && pid !== process.pid && now - info.mtimeMs > options.staleAfterMs;
    }
    if (
      stale &&
      (await unlink(path).then(
        () => true,
        () => false,
      ))
    )
      removed++;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeHostname(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, '_') || 'host';
}
