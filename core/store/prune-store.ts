import { rmdir, unlink } from 'node:fs/promises';
import { loadDelistedRecord, saveDelistedRecord } from './delisted-record.js';
import { eachLimited } from './each-limited.js';
import type { ImageStore } from './image-store.js';
import { blobMayGo, delistedMayGo, judgeDelistCap, judgeRoundList, type PruneHold } from './prune-policy.js';
import { savePruneRecord } from './prune-record.js';
import { BLOB_REMOVALS_AT_ONCE, removeBlob } from './remove-blob.js';
import { type StoreFile, walkBlobs, walkHumanTree } from './walk-store.js';

/** What a round that just ended knows about its list. */
export interface RoundListing {
  /** The round's start: a name's absence counts from the first complete round that lacked it. */
  startedAtMs: number;
  /** The list was read to its end and the round was not stopped. */
  complete: boolean;
  /** Valid, distinct URLs the list named. */
  validUrls: number;
  /** Every human-tree name the list's URLs have, or may have (see listedPaths). */
  listedPaths: ReadonlySet<string>;
}

export interface PruneOptions {
  keepReplacedMs: number;
  keepDelistedMs: number;
  /** Rounds only; `prune` by hand is the operator's decision and passes 100. */
  maxDelistPercent: number;
  /** Remove nothing, write nothing: report what would go. */
  dryRun?: boolean;
  /** A round that ended; without it (`prune` by hand) the absences recorded by the last complete round are used. */
  round?: RoundListing;
  nowMs?: number;
  /** Stops removing (SIGTERM): what is left stays for the next prune; the store is consistent at every step. */
  signal?: AbortSignal | undefined;
}

/** The store's size after pruning (the summary's `store`). */
export interface StoreUsage {
  /** Human names, and the bytes of their distinct files: the images the list names. */
  liveFiles: number;
  liveBytes: number;
  /** Blobs no name links, kept for --keep-replaced (or being committed right now). */
  graceFiles: number;
  graceBytes: number;
}

export interface PruneReport {
  dryRun: boolean;
  /** `full`: the whole store walked; `replaced`: only the blobs the round replaced and those in their grace. */
  scope: 'full' | 'replaced';
  /** Set when nothing was removed on purpose, and why. */
  held?: PruneHold;
  /** Names unlinked (human names and blobs). */
  removedFiles: number;
  /** Bytes freed (files whose last name was unlinked). */
  removedBytes: number;
  /** What was (or, dry, would be) removed: human paths, then blob paths under `.image-loader/blobs/`. */
  removed: string[];
  /** Human names removed as delisted (their metadata goes too). */
  delistedPaths: string[];
  store: StoreUsage;
  durationMs: number;
}

/**
 * Removes from the store what the list no longer needs, for `fetch` and the coordinator after each complete
 * round and for `prune` by hand: first the human names of URLs absent for --keep-delisted, then the blobs no
 * name links (link count 1) that have been unreferenced for --keep-replaced. Safe while workers write: a name
 * re-stored since it went absent is kept (delistedMayGo), and a blob is taken away by a rename and put back if
 * a worker linked it meanwhile (removeBlob); a worker that finds it gone re-creates it from its own download.
 */
export async function pruneStore(store: ImageStore, options: PruneOptions): Promise<PruneReport> {
  const startedAt = Date.now();
  const nowMs = options.nowMs ?? startedAt;
  const dryRun = options.dryRun === true;
  const { round } = options;
  const files = await walkHumanTree(store.layout);
  const absent = await loadDelistedRecord(store);
  let held = round === undefined ? undefined : judgeRoundList(round);
  if (round !== undefined && held === undefined) refreshAbsence(absent, files, round);
  const present = new Set(files.map((file) => file.path));
  for (const path of absent.keys()) if (!present.has(path)) absent.delete(path);

  const due = files.filter((file) => {
    const absentSinceMs = absent.get(file.path);
    return (
      absentSinceMs !== undefined &&
      delistedMayGo({ absentSinceMs, ctimeMs: file.ctimeMs }, nowMs, options.keepDelistedMs)
    );
  });
  if (held === undefined && round !== undefined)
    held = judgeDelistCap(due.length, files.length, options.maxDelistPercent);
  const removing = held === undefined ? due : [];

  const report = { removedFiles: 0, removedBytes: 0, removed: [] as string[], delistedPaths: [] as string[] };
  const unlinkedInodes = new Map<number, number>();
  for (const file of removing) {
    if (options.signal?.aborted) break;
    if (!dryRun && !(await unlinkIfPresent(file.absolute))) continue;
    report.removedFiles++;
    if (file.nlink === 1) report.removedBytes += file.bytes;
    report.removed.push(file.path);
    report.delistedPaths.push(file.path);
    unlinkedInodes.set(file.ino, (unlinkedInodes.get(file.ino) ?? 0) + 1);
    absent.delete(file.path);
  }
  if (!dryRun) await removeEmptyFolders(store, report.delistedPaths, round?.listedPaths);

  const delisted = new Set(report.delistedPaths);
  const liveNames = files.filter((file) => !delisted.has(file.path));
  const liveInodes = new Map(liveNames.map((file) => [file.ino, file.bytes]));
  const usage: StoreUsage = { liveFiles: liveNames.length, liveBytes: 0, graceFiles: 0, graceBytes: 0 };
  for (const bytes of liveInodes.values()) usage.liveBytes += bytes;

  // The names just unlinked set their blob's ctime to now: measure the blobs' grace from now, not from the start.
  const blobNowMs = options.nowMs ?? Date.now();
  const blobs = (await walkBlobs(store.layout)).filter((blob) => !liveInodes.has(blob.ino));
  const pendingBlobs: string[] = [];
  await eachLimited(blobs, BLOB_REMOVALS_AT_ONCE, async (blob) => {
    // Dry: the names this run would unlink still count in the link count; unlinking them would make it now.
    const dropped = dryRun ? (unlinkedInodes.get(blob.ino) ?? 0) : 0;
    const seen = { nlink: blob.nlink - dropped, ctimeMs: dropped > 0 ? blobNowMs : blob.ctimeMs };
    const goes =
      held === undefined && options.signal?.aborted !== true && blobMayGo(seen, blobNowMs, options.keepReplacedMs);
    if (goes && (dryRun || (await removeBlob(store, blob.absolute)))) {
      report.removedFiles++;
      report.removedBytes += blob.bytes;
      report.removed.push(`.image-loader/blobs/${blob.path}`);
    } else {
      usage.graceFiles++;
      usage.graceBytes += blob.bytes;
      if (seen.nlink === 1) pendingBlobs.push(blob.path);
    }
  });
  if (!dryRun) await saveDelistedRecord(store, absent);
  // A walk held back or stopped midway leaves the record as it was: the next round walks again.
  if (!dryRun && held === undefined && options.signal?.aborted !== true)
    await savePruneRecord(store, { fullWalkAtMs: nowMs, pendingBlobs });
  return {
    dryRun,
    scope: 'full',
    ...(held === undefined ? {} : { held }),
    ...report,
    store: usage,
    durationMs: Date.now() - startedAt,
  };
}

/** Records the names this complete round's list lacks (kept from the first round that lacked them), forgets the listed. */
function refreshAbsence(absent: Map<string, number>, files: StoreFile[], round: RoundListing): void {
  for (const file of files) {
    if (round.listedPaths.has(file.path)) absent.delete(file.path);
    else if (!absent.has(file.path)) absent.set(file.path, round.startedAtMs);
  }
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  return await unlink(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * Removes the folders that removing `paths` left empty, deepest first: never the store root, never the host folder
 * of a listed URL, never a folder with anything in it (rmdir refuses).
 */
async function removeEmptyFolders(
  store: ImageStore,
  paths: readonly string[],
  listedPaths: ReadonlySet<string> | undefined,
): Promise<void> {
  const listedHosts = new Set<string>();
  for (const path of listedPaths ?? []) listedHosts.add(path.slice(0, path.indexOf('/')));
  const folders = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let depth = parts.length - 1; depth >= 1; depth--) folders.add(parts.slice(0, depth).join('/'));
  }
  const deepestFirst = [...folders].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const folder of deepestFirst) {
    if (!folder.includes('/') && listedHosts.has(folder)) continue;
    await rmdir(store.layout.humanPath(folder)).catch(() => {});
  }
}
