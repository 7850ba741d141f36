import { createHash } from 'node:crypto';
import { formatBytes } from '../../core/config/format-bytes.js';
import { escapeHtml } from '../../core/html/escape-html.js';
import type { RoundProgress } from '../round-progress.js';
import type { RoundRow } from './round-rows.js';
import { renderRoundsChart } from './rounds-chart.js';

export interface RoundsPageView {
  /** Completed rounds, newest first. */
  rows: readonly RoundRow[];
  inProgress: RoundProgress | undefined;
  /** Why the history could not be read (Redis unreachable...): shown instead of it. */
  error: string | undefined;
  now: Date;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1f2933;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}
nav a{color:#2563eb}
.error{background:#fde8e8;border:1px solid #f05252;padding:.75rem 1rem;border-radius:4px;font-weight:600}
.progress{background:#eef4ff;border:1px solid #a4c2f4;padding:.5rem 1rem;border-radius:4px}
figure{margin:1rem 0;max-width:960px}
svg{width:100%;height:auto;background:#fafbfc;border:1px solid #e4e7eb}
svg .grid{stroke:#e4e7eb}
svg .axis,svg .legend{font-size:12px;fill:#52606d}
polyline.downloaded{stroke:#2563eb;stroke-width:2}
polyline.failed{stroke:#dc2626;stroke-width:2}
circle.downloaded,rect.downloaded{fill:#2563eb}
circle.failed,rect.failed{fill:#dc2626}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #e4e7eb;padding:.3rem .6rem;text-align:right;vertical-align:top}
th:first-child,td:first-child,td.text{text-align:left}
td.failed-some{color:#dc2626;font-weight:600}
code{font-size:12px}
`;

/**
 * The page's Content-Security-Policy: nothing loads, nothing runs; its one
 * stylesheet is allowed by its hash, so even markup that escaped escaping
 * could neither run a script nor style itself.
 */
export const ROUNDS_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Seconds between reloads: the page refreshes itself without a script. */
const REFRESH_SECONDS = 30;

/** The round history page: the round in progress, a chart, and a table of the last rounds. Every value is escaped. */
export function renderRoundsPage(view: RoundsPageView): string {
  const body: string[] = [
    '<header><h1>Round history</h1>',
    `<nav><a href="./">Queues (bull-board)</a> · updated ${escapeHtml(view.now.toISOString())}, reloads every ${REFRESH_SECONDS} s</nav></header>`,
  ];
  if (view.error !== undefined) {
    body.push(`<p class="error" role="alert">${escapeHtml(view.error)}</p>`);
  } else {
    body.push(view.inProgress ? progressLine(view.inProgress, view.now) : '<p>No round in progress.</p>');
    if (view.rows.length === 0) {
      body.push('<p>No round has completed yet.</p>');
    } else {
      body.push(
        `<figure>${renderRoundsChart(view.rows)}<figcaption>Downloads and failures of the last ${view.rows.length} rounds, by start time (UTC)</figcaption></figure>`,
      );
      body.push(roundsTable(view.rows));
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">`,
    '<title>Round history · image-loader</title>',
    `<style>${STYLE}</style>`,
    '</head><body>',
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}

function progressLine(progress: RoundProgress, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(progress.startedAt)) / 1000));
  const text =
    `Round in progress: ${progress.roundId} (${progress.trigger}), started ${progress.startedAt}, ${Number.isFinite(seconds) ? seconds : '?'} s ago: ` +
    `${progress.enqueued} enqueued${progress.listRead ? '' : ' so far'}, ${progress.downloaded} downloaded, ${progress.unchanged} unchanged, ` +
    `${progress.failed} failed, ${progress.pending} pending`;
  return `<p class="progress">${escapeHtml(text)}</p>`;
}

function roundsTable(rows: readonly RoundRow[]): string {
  const head = [
    'Round',
    'Trigger',
    'Started (UTC)',
    'Duration',
    'URLs',
    'Downloaded',
    'Unchanged',
    'Failed',
    'Invalid lines',
    'Duplicates',
    'Received',
    'Store size',
    'Pruned',
    'Failures by reason',
  ];
  const lines = [
    `<table><thead><tr>${head.map((title) => `<th scope="col">${title}</th>`).join('')}</tr></thead><tbody>`,
  ];
  for (const row of rows) {
    const trigger =
      row.skippedStarts > 0
        ? `${row.trigger} (${row.skippedStarts} start${row.skippedStarts === 1 ? '' : 's'} skipped)`
        : row.trigger;
    const failures = row.failures.map(([code, count]) => `<code>${escapeHtml(code)}</code> ${count}`);
    if (row.listError !== undefined) failures.push(`list: ${escapeHtml(row.listError)}`);
    const cells = [
      `<td><code>${escapeHtml(row.roundId)}</code></td>`,
      `<td class="text">${escapeHtml(trigger)}</td>`,
      `<td class="text">${escapeHtml(row.startedAt)}</td>`,
      `<td>${row.durationMs === undefined ? '' : escapeHtml(formatDuration(row.durationMs))}</td>`,
      `<td>${row.total}</td>`,
      `<td>${row.downloaded}</td>`,
      `<td>${row.unchanged}</td>`,
      `<td${row.failed > 0 ? ' class="failed-some"' : ''}>${row.failed}</td>`,
      `<td>${row.invalidLines}</td>`,
      `<td>${row.duplicates}</td>`,
      `<td>${escapeHtml(formatBytes(row.bytesTransferred))}</td>`,
      `<td>${row.storeBytes === undefined ? '' : escapeHtml(`${formatBytes(row.storeBytes)} (${row.storeFiles} files)`)}</td>`,
      `<td class="text">${escapeHtml(row.pruned ?? '')}</td>`,
      `<td class="text">${failures.join('<br>')}</td>`,
    ];
    lines.push(`<tr>${cells.join('')}</tr>`);
  }
  lines.push('</tbody></table>');
  return lines.join('\n');
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
