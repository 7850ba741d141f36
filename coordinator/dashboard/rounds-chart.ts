import { escapeHtml } from '../../core/html/escape-html.js';
import type { RoundRow } from './round-rows.js';

const WIDTH = 800;
const HEIGHT = 260;
const MARGIN = { left: 56, right: 16, top: 28, bottom: 36 };
const SERIES = [
  { key: 'downloaded', label: 'downloaded' },
  { key: 'failed', label: 'failed' },
] as const;

/**
 * Downloads and failures per round over time, as inline SVG drawn on the
 * server (the page loads no script and nothing from elsewhere): one line a
 * series, one point a round at its start time, its numbers in a tooltip.
 * Colours come from the page's stylesheet (classes `downloaded`, `failed`).
 * Empty string when no round has a start time to place it by.
 */
export function renderRoundsChart(rows: readonly RoundRow[]): string {
  const points = rows
    .filter((row): row is RoundRow & { startedMs: number } => row.startedMs !== undefined)
    .sort((a, b) => a.startedMs - b.startedMs);
  if (points.length === 0) return '';
  const first = points[0]!.startedMs;
  const last = points[points.length - 1]!.startedMs;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = niceCeiling(Math.max(1, ...points.map((row) => Math.max(row.downloaded, row.failed))));
  const x = (ms: number): number =>
    MARGIN.left + (last === first ? plotWidth / 2 : ((ms - first) / (last - first)) * plotWidth);
  const y = (value: number): number => MARGIN.top + plotHeight - (value / top) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="rounds-chart-title">`,
    '<title id="rounds-chart-title">Downloads and failures per round over time</title>',
  ];
  for (const value of [0, top / 2, top]) {
    parts.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y(value))}" y2="${num(y(value))}"/>`,
      `<text class="axis" x="${MARGIN.left - 8}" y="${num(y(value) + 4)}" text-anchor="end">${formatCount(value)}</text>`,
    );
  }
  const baseline = HEIGHT - MARGIN.bottom + 20;
  parts.push(
    `<text class="axis" x="${MARGIN.left}" y="${baseline}" text-anchor="start">${escapeHtml(formatTime(first))}</text>`,
  );
  if (last !== first)
    parts.push(
      `<text class="axis" x="${WIDTH - MARGIN.right}" y="${baseline}" text-anchor="end">${escapeHtml(formatTime(last))}</text>`,
    );
  for (const [i, series] of SERIES.entries()) {
    const coordinates = points.map((row) => `${num(x(row.startedMs))},${num(y(row[series.key]))}`);
    parts.push(`<polyline class="${series.key}" fill="none" points="${coordinates.join(' ')}"/>`);
    for (const row of points) {
      const tooltip = `${row.roundId} (${formatTime(row.startedMs)}): ${row.downloaded} downloaded, ${row.failed} failed`;
      parts.push(
        `<circle class="${series.key}" cx="${num(x(row.startedMs))}" cy="${num(y(row[series.key]))}" r="3.5"><title>${escapeHtml(tooltip)}</title></circle>`,
      );
    }
    const legendX = WIDTH - MARGIN.right - 200 + i * 110;
    parts.push(
      `<rect class="${series.key}" x="${legendX}" y="8" width="12" height="12"/>`,
      `<text class="legend" x="${legendX + 18}" y="18">${series.label}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The smallest 1, 2 or 5 times a power of ten that is at least `value` (a round top for the y axis). */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function num(value: number): string {
  return value.toFixed(1);
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** "2026-11-27 21:08" (UTC): short enough for an axis. */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
