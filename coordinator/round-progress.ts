import { formatBytes } from '../core/config/format-bytes.js';
import type { RoundLedger } from '../core/fleet/round-ledger.js';
import type { RoundState } from '../core/fleet/round-state.js';

/** The round in progress as `status` shows it (and as `status --json` puts it under `inProgress`). */
export interface RoundProgress {
  roundId: string;
  startedAt: string;
  trigger: RoundState['trigger'];
  list: string;
  coordinator: string;
  /** URLs and invalid lines enqueued or recorded so far (all of them once listRead). */
  enqueued: number;
  listRead: boolean;
  pending: number;
  downloaded: number;
  unchanged: number;
  failed: number;
  bytesTransferred: number;
  failuresByCode: Record<string, number>;
  skippedStarts: number;
}

export function roundProgress(
  state: RoundState,
  pending: number,
  failuresByCode: Record<string, number>,
): RoundProgress {
  return {
    roundId: state.roundId,
    startedAt: new Date(state.startedAt).toISOString(),
    trigger: state.trigger,
    list: state.list,
    coordinator: state.coordinator,
    enqueued: state.urls + state.invalidLines,
    listRead: state.listRead,
    pending,
    downloaded: state.downloaded,
    unchanged: state.unchanged,
    failed: state.failed,
    bytesTransferred: state.bytesTransferred,
    failuresByCode,
    skippedStarts: state.skippedStarts,
  };
}

/** The round in progress as the ledger holds it now, or undefined between rounds (`status` and the rounds page). */
export async function readRoundProgress(ledger: RoundLedger): Promise<RoundProgress | undefined> {
  const current = await ledger.current();
  if (current === undefined) return undefined;
  return roundProgress(
    current,
    await ledger.pendingCount(current.roundId),
    await ledger.failuresByCode(current.roundId),
  );
}

export function formatRoundProgress(progress: RoundProgress, now: number): string {
  const seconds = ((now - Date.parse(progress.startedAt)) / 1000).toFixed(0);
  const lines = [
    `Round in progress: ${progress.roundId} (${progress.trigger}), started ${progress.startedAt}, ${seconds} s ago, by ${progress.coordinator}`,
    `  ${progress.enqueued} enqueued${progress.listRead ? '' : ' so far (still reading the list)'}: ` +
      `${progress.downloaded} downloaded, ${progress.unchanged} unchanged, ${progress.failed} failed, ${progress.pending} pending; ${formatBytes(progress.bytesTransferred)} received`,
  ];
  const codes = Object.entries(progress.failuresByCode).sort((a, b) => b[1] - a[1]);
  if (codes.length > 0) lines.push(`  failed so far: ${codes.map(([code, count]) => `${code} ${count}`).join(', ')}`);
  if (progress.skippedStarts > 0) lines.push(`  ${progress.skippedStarts} start(s) skipped while it runs`);
  return `${lines.join('\n')}\n`;
}
