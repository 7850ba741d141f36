import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The bench's scratch space: one temp folder under os.tmpdir() per
 * invocation, holding every store and output directory, removed when the
 * bench exits however it exits.
 */
export function createScratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'image-loader-bench-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** A new, empty directory (a first run always starts from nothing). */
export function freshDir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

const SYNC_TIMEOUT_MS = 120_000;

/** Writes back dirty pages (`sync`) so one run's write-back does not land in the next run's time. */
export function flushDisk(): void {
  spawnSync('sync', { stdio: 'ignore', timeout: SYNC_TIMEOUT_MS });
}

/** A fresh empty directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'image-loader-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
