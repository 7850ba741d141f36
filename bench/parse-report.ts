import { median } from './median.js';
import { mibOfKib, row, seconds } from './report-cells.js';
import type { ParseResult } from './run-parse-scenario.js';
import type { ScenarioReport } from './scenario-report.js';

const MIB = 1024 ** 2;

/** The list-parsing scenario: a row per generated list shape. */
export const parseReport: ScenarioReport<ParseResult> = {
  tables: (result) => [
    '`bench/parse-million.ts` runs readUrlList (split, validate, deduplicate) over a generated list, under GNU time.',
    '',
    '| list | lines | distinct URLs | file MiB | median parse time (s) | median wall (s) | peak RSS (MiB) |',
    '|---|--:|--:|--:|--:|--:|--:|',
    ...result.lists.map((list) => {
      const passed = list.runs.filter((run) => run.failure === undefined);
      const rss = passed.map((run) => run.peakRssKib).filter((kib): kib is number => kib !== undefined);
      const parseMs = passed.map((run) => run.parseMs).filter((ms): ms is number => ms !== undefined);
      return row([
        list.shape.name,
        list.shape.lines.toLocaleString('en'),
        list.shape.distinct.toLocaleString('en'),
        (list.fileBytes / MIB).toFixed(1),
        parseMs.length === 0 ? '**failed**' : seconds(median(parseMs)),
        passed.length === 0 ? '**failed**' : seconds(median(passed.map((run) => run.wallMs))),
        rss.length === 0 ? '' : mibOfKib(Math.max(...rss)),
      ]);
    }),
  ],
  targets: () => [],
  failures: (result) =>
    result.lists.flatMap((list) =>
      list.runs
        .filter((run) => run.failure !== undefined)
        .map((run) => `${result.scenario.title}, ${list.shape.name} run ${run.run}: ${run.failure}`),
    ),
};
