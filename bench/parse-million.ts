import { openListSource } from '../core/list/open-list-source.js';
import { readUrlList } from '../core/list/read-url-list.js';

/**
 * Reads a URL list the way `image-loader fetch` does (readUrlList: split,
 * validate, deduplicate) and prints what it found as JSON: the bench runs it
 * under GNU time for its peak RSS. Usage: node parse-million.js LIST
 */
const list = process.argv[2];
if (list === undefined) {
  process.stderr.write('usage: node parse-million.js LIST\n');
  process.exit(2);
}
const started = performance.now();
const counts = { url: 0, duplicate: 0, invalid: 0 };
for await (const entry of readUrlList(await openListSource(list))) counts[entry.kind]++;
const elapsedMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ ...counts, elapsedMs, maxRssKib: process.resourceUsage().maxRSS, heapUsedMib: process.memoryUsage().heapUsed / 1024 ** 2 })}\n`,
);
