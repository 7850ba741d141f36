import { createWriteStream } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { downloadSettings } from '../core/config/download-settings.js';
import { createHttpAgent } from '../core/download/http-client.js';
import { stream } from '../core/download/undici-parts.js';
import { eachLimited } from '../core/store/each-limited.js';

/**
 * The bench's undici floor (issue 15 §2): the least a Node process does to download a list with undici 7, the
 * client image-loader must use, so that the gap between image-loader and curl splits into what Node and undici
 * cost on this machine and what image-loader's own pipeline adds.
 *
 *     node dist/bench/undici-floor.js LIST OUTPUT_DIR CONCURRENCY CONNECTIONS [--discard]
 *
 * LIST holds one URL a line. CONCURRENCY downloads are in flight at once, through one Agent with CONNECTIONS
 * per origin (image-loader's --concurrency and --per-host). Each body is streamed by undici's `stream()` (its
 * cheapest API: no body Readable between the socket and the file) into `NAME.part` in OUTPUT_DIR, closed, then
 * renamed to NAME, the URL's last path segment as `curl -O` names it. Nothing else: no hash, no sniffing, no
 * metadata, no store layout, no address checks, no redirects, no retries. With `--discard` the bodies are counted
 * and dropped: the client alone. The Agent's options and the HTTP parser's tier are image-loader's, so the two
 * differ in their pipelines, not in how undici is set up or loaded (createHttpAgent and undici-parts, as `fetch
 * --allow-private` with the default timeouts; the pool keeps libuv's 4 threads: Node's
 * default). Prints `{"urls":N}`, with `--discard` `{"urls":N,"bytes":B}`; exits 1 on the first failure.
 */
async function main(argv: string[]): Promise<void> {
  const [listFile, outputDir, concurrencyText, connectionsText, ...flags] = argv;
  const concurrency = Number(concurrencyText);
  const connections = Number(connectionsText);
  if (
    listFile === undefined ||
    outputDir === undefined ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    !Number.isInteger(connections) ||
    connections < 1 ||
    flags.some((flag) => flag !== '--discard')
  ) {
    throw new Error(
      `usage: undici-floor.js LIST OUTPUT_DIR CONCURRENCY CONNECTIONS [--discard]; got ${argv.join(' ')}`,
    );
  }
  const discard = flags.includes('--discard');
  const urls = (await readFile(listFile, 'utf8')).split('\n').filter((line) => line !== '');
  // fetch's own Agent, as `fetch --allow-private` (the bench's flag) makes it with the default timeouts.
  const agent = createHttpAgent({
    perHost: connections,
    connectTimeoutMs: downloadSettings.connectTimeoutMs.default,
    headersTimeoutMs: downloadSettings.idleTimeoutMs.default,
    idleTimeoutMs: downloadSettings.idleTimeoutMs.default,
    blockPrivateAddresses: false,
  });
  let bytes = 0;
  const download = async (url: string): Promise<void> => {
    const target = new URL(url);
    const name = basename(target.pathname);
    const temp = join(outputDir, `${name}.part`);
    await stream(
      agent,
      { origin: target.origin, path: target.pathname + target.search, method: 'GET' },
      ({ statusCode }) => {
        if (statusCode !== 200) throw new Error(`${url}: HTTP ${statusCode}`);
        return discard ? countingSink((length) => (bytes += length)) : createWriteStream(temp);
      },
    );
    if (!discard) await rename(temp, join(outputDir, name));
  };
  try {
    await eachLimited(urls, concurrency, download);
  } finally {
    await agent.close();
  }
  process.stdout.write(`${JSON.stringify({ urls: urls.length, bytes: discard ? bytes : undefined })}\n`);
}

/** A Writable that drops every chunk after counting it. */
function countingSink(count: (length: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      count(chunk.length);
      callback();
    },
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`undici-floor: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
