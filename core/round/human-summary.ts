import { formatBytes } from '../config/format-bytes.js';
import type { RoundSummary } from './round-summary.js';

const SHOWN_PER_CODE = 10;

/**
 * The end-of-round report for people: counts, then failures grouped by
 * reason. Counts come from `failuresByCode`, so a summary whose entries were
 * trimmed (the fleet's history) still reports them right.
 */
export function formatHumanSummary(summary: RoundSummary, storeRoot?: string): string {
  const { counts } = summary;
  const lines = [
    `${summary.aborted ? 'Round stopped' : 'Round finished'} in ${(summary.durationMs / 1000).toFixed(1)} s: ` +
      `${counts.downloaded} downloaded, ${counts.unchanged} unchanged, ${counts.failed} failed` +
      (counts.duplicates > 0 ? `, ${counts.duplicates} duplicate line(s) skipped` : '') +
      `; ${formatBytes(summary.bytesTransferred)} received.`,
  ];
  const codes = Object.keys(summary.failuresByCode).sort(
    (a, b) => summary.failuresByCode[b]! - summary.failuresByCode[a]!,
  );
  if (codes.length > 0) lines.push('Failed, by reason:');
  for (const code of codes) {
    const failed = summary.entries.filter((entry) => entry.status === 'failed' && entry.error?.code === code);
    const count = summary.failuresByCode[code]!;
    lines.push(`  ${code} (${count})`);
    for (const entry of failed.slice(0, SHOWN_PER_CODE)) {
      lines.push(`    line ${entry.line}: ${entry.url}: ${entry.error?.message.replace(/^line \d+: /, '')}`);
    }
    const shown = Math.min(failed.length, SHOWN_PER_CODE);
    // Past the cap of listed invalid lines (ListProblemCap) even --json holds only the first ones.
    const inJson =
      failed.length < count
        ? `--json lists the first ${failed.length}, the rest are counted only`
        : '--json lists every one';
    if (count > shown) lines.push(`    ... and ${count - shown} more (${inJson})`);
  }
  lines.push(...storeLines(summary));
  if (storeRoot !== undefined) lines.push(`Store: ${storeRoot}`);
  return `${lines.join('\n')}\n`;
}

/** The store's size and what pruning did, when the round pruned. */
function storeLines(summary: Pick<RoundSummary, 'prune' | 'store'>): string[] {
  const lines: string[] = [];
  if (summary.store)
    lines.push(
      `Store size: ${summary.store.liveFiles} image(s), ${formatBytes(summary.store.liveBytes)} live; ` +
        `${summary.store.graceFiles} replaced version(s), ${formatBytes(summary.store.graceBytes)} kept for their grace.`,
    );
  if (summary.prune?.held) lines.push(`Pruning held: ${summary.prune.held.message}.`);
  else if (summary.prune && summary.prune.removedFiles > 0)
    lines.push(`Pruned: ${summary.prune.removedFiles} file(s), ${formatBytes(summary.prune.removedBytes)} freed.`);
  return lines;
}
