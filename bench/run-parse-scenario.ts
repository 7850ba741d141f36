import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDir, removeDir } from '../harness/scratch-dir.js';
import type { BenchOptions } from './bench-options.js';
import { measure } from './measure.js';
import type { ParseScenario } from './scenarios.js';

/** One list shape: how many lines, how many distinct URLs, how long each URL is. */
export interface ListShape {
  name: string;
  lines: number;
  distinct: number;
  /** Extra query-string bytes per URL: the same URL count in many more bytes shows memory does not follow file size. */
  padBytes: number;
}

export interface ParseRun {
  run: number;
  wallMs: number;
  /** Time inside the script, from opening the list to the last entry (no Node start-up). */
  parseMs: number | undefined;
  peakRssKib: number | undefined;
  failure: string | undefined;
}

export interface ParseResult {
  kind: 'parse';
  scenario: ParseScenario;
  lists: { shape: ListShape; fileBytes: number; runs: ParseRun[] }[];
}

const SCRIPT = fileURLToPath(new URL('./parse-million.js', import.meta.url));

/**
 * Scenario 6: readUrlList over generated lists, under GNU time. A tiny list
 * gives Node's own baseline; the full list twice, with short and with long
 * URLs (same count, about 8x the bytes).
 */
export async function runParseScenario(scenario: ParseScenario, options: BenchOptions): Promise<ParseResult> {
  const dir = freshDir(join(options.scratchRoot, scenario.id));
  const shapes: ListShape[] = [
    { name: 'baseline (1,000 lines)', lines: 1000, distinct: 500, padBytes: 0 },
    { name: 'short URLs', lines: scenario.lines, distinct: scenario.distinct, padBytes: 0 },
    { name: 'long URLs', lines: scenario.lines, distinct: scenario.distinct, padBytes: 400 },
  ];
  const lists: ParseResult['lists'] = [];
  try {
    for (const [i, shape] of shapes.entries()) {
      const file = join(dir, `list-${i}.txt`);
      options.log(`[${scenario.id}] writing ${shape.name}: ${shape.lines} lines`);
      await writeList(file, shape);
      const fileBytes = (await stat(file)).size;
      const runs: ParseRun[] = [];
      for (let run = 1; run <= options.runs; run++) {
        const measured = await measure(
          { command: process.execPath, args: [SCRIPT, file] },
          dir,
          `parse-${i}-run${run}`,
          options.runTimeoutMs,
        );
        const output = await readFile(measured.stdoutFile, 'utf8').catch(() => '');
        let parsed: { url: number; duplicate: number; elapsedMs: number } | undefined;
        try {
          parsed = JSON.parse(output) as typeof parsed;
        } catch {
          parsed = undefined;
        }
        const expectedDuplicates = Math.min(shape.distinct, shape.lines - shape.distinct);
        const failure = measured.timedOut
          ? 'timed out'
          : measured.exitCode !== 0 || parsed === undefined
            ? `exit code ${measured.exitCode}`
            : parsed.url !== shape.distinct || parsed.duplicate !== expectedDuplicates
              ? `counted ${parsed.url} URLs and ${parsed.duplicate} duplicates, expected ${shape.distinct} and ${expectedDuplicates}`
              : undefined;
        runs.push({
          run,
          wallMs: measured.wallMs,
          parseMs: parsed?.elapsedMs,
          peakRssKib: measured.peakRssKib,
          failure,
        });
        const rss = measured.peakRssKib === undefined ? '?' : `${(measured.peakRssKib / 1024).toFixed(0)} MiB`;
        options.log(
          `[${scenario.id}] ${shape.name} run ${run}/${options.runs}: ${(measured.wallMs / 1000).toFixed(2)} s, peak RSS ${rss}${failure ? `; FAILED: ${failure}` : ''}`,
        );
      }
      lists.push({ shape, fileBytes, runs });
      removeDir(file);
    }
  } finally {
    removeDir(dir);
  }
  return { kind: 'parse', scenario, lists };
}

/** Line n names URL n mod distinct: the first `distinct` lines are new, every later one repeats one of them. */
async function writeList(file: string, shape: ListShape): Promise<void> {
  const out = createWriteStream(file);
  const pad = shape.padBytes > 0 ? `?pad=${'p'.repeat(shape.padBytes)}` : '';
  const BATCH = 10_000;
  for (let start = 0; start < shape.lines; start += BATCH) {
    let text = '';
    for (let line = start; line < Math.min(shape.lines, start + BATCH); line++) {
      text += `http://images.example.test/img/${String(line % shape.distinct).padStart(7, '0')}.jpg${pad}\n`;
    }
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
