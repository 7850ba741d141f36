import { setTimeout as sleep } from 'node:timers/promises';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { Downloader } from '../core/download/downloader.js';
import { ErrorCode } from '../core/errors/error-codes.js';
import { EXIT_OK, EXIT_SOME_FAILED } from '../core/errors/exit-codes.js';
import { ImageLoaderError } from '../core/errors/image-loader-error.js';
import { countListEntries } from '../core/list/count-list-entries.js';
import { openListSource } from '../core/list/open-list-source.js';
import { readAhead } from '../core/list/read-ahead.js';
import { type ListEntry, readUrlList } from '../core/list/read-url-list.js';
import { JsonLogger } from '../core/log/json-logger.js';
import { observeAttempts } from '../core/metrics/observe-attempts.js';
import { type RunningProcessMetrics, startProcessMetrics } from '../core/metrics/start-process-metrics.js';
import { completeRound } from '../core/round/complete-round.js';
import { formatHumanSummary } from '../core/round/human-summary.js';
import type { RoundSummary } from '../core/round/round-summary.js';
import { runRound } from '../core/round/run-round.js';
import { storeSettleSteps } from '../core/round/settle-url.js';
import { closeAll } from '../core/service/close-all.js';
import { untilAborted } from '../core/service/service-io.js';
import { armStopWatchdog } from '../core/service/stop-watchdog.js';
import { ImageStore } from '../core/store/image-store.js';
import { MetadataIndex } from '../core/store/metadata-index.js';
import { judgeRoundList } from '../core/store/prune-policy.js';
import { ReplacedBlobRemover } from '../core/store/replaced-blob-remover.js';
import { storeHoldsNothing } from '../core/store/walk-store.js';
import { noteListedUrls, pruneFetchRound } from './fetch-prune.js';
import { fetchSettings } from './fetch-settings.js';
import { ProgressReporter } from './progress-reporter.js';

export type FetchConfig = SettingValues<typeof fetchSettings> & { list: string };

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** Parses `fetch` arguments: flags > environment > defaults, validated. Throws IMG_ERR_INVALID_CONFIG. */
export function parseFetchArgs(args: string[], env: NodeJS.ProcessEnv): FetchConfig {
  const { settings, positionals } = parseCommandArgs(fetchSettings, args, env, { positionals: true });
  if (positionals.length !== 1) {
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      `expected exactly one LIST (a file, - for standard input, or an http(s):// URL), got ${positionals.length}`,
    );
  }
  const config = { ...settings, list: positionals[0]! };
  if (config.list === '-' && config.everyMs !== undefined) {
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      '--every needs a list file: standard input (-) can be read only once',
    );
  }
  return config;
}

/**
 * `image-loader fetch LIST`: one round (or one every `--every`) of the whole
 * list into the store, in this process, no Redis. Returns the exit code:
 * 0 all stored or unchanged, 1 some failed, 2 usage error or unreadable list.
 */
export async function runFetch(config: FetchConfig, io: CommandIo): Promise<number> {
  armStopWatchdog(io.signal, config.stopTimeoutMs);
  // First: a --metrics-port in use stops start-up (exit 2) before the store is touched.
  const metrics = await startProcessMetrics(
    config,
    {
      downloads: true,
      rounds: true,
      besideWebApp: config.servePort !== undefined,
    },
    new JsonLogger(io.stderr, { process: 'fetch' }),
  );
  const { store, removedTempFiles } = await ImageStore.open(config.store);
  if (removedTempFiles > 0 && !config.quiet)
    io.stderr.write(`removed ${removedTempFiles} temp file(s) left by an interrupted run\n`);
  const { index, skippedLines } = await MetadataIndex.load(store).catch((error: NodeJS.ErrnoException) => {
    throw new ImageLoaderError(
      ErrorCode.Store,
      `cannot read ${store.layout.metadataFile}: ${error.code ?? error.message}`,
      { cause: error },
    );
  });
  if (skippedLines > 0)
    io.stderr.write(
      `warning: skipped ${skippedLines} damaged line(s) of ${store.layout.metadataFile}; those URLs are fetched afresh\n`,
    );
  const downloader = new Downloader(store, config);
  const parts = { config, io, store, downloader, index, metrics };
  // The one-machine setup: the same web app as a web node, on the local store, while and after it downloads.
  // Its JSON access log goes to stderr: stdout carries the round summaries.
  const server =
    config.servePort === undefined
      ? undefined
      : await (await import('../web/web-server.js')).startWebServer({
          store: store.layout.root,
          host: config.serveHost,
          port: config.servePort,
          staleFactor: config.staleFactor,
          cacheSize: config.cacheSize,
          cacheRecheckMs: config.cacheRecheckMs,
          everyMs: config.everyMs ?? 300_000,
          log: new JsonLogger(io.stderr, { process: 'fetch-serve' }),
          otherMetrics: metrics === undefined ? [] : [metrics.registry],
        });
  try {
    if (config.everyMs !== undefined) {
      await fetchEvery(config.everyMs, parts);
      return EXIT_OK;
    }
    const summary = await fetchRound(parts);
    if (server === undefined) return summary.counts.failed > 0 ? EXIT_SOME_FAILED : EXIT_OK;
    await untilAborted(io.signal);
    return EXIT_OK;
  } finally {
    await server?.close(config.stopTimeoutMs);
    await closeAll(
      [
        { name: 'downloader', close: () => downloader.close() },
        ...(metrics === undefined ? [] : [{ name: 'metrics server', close: () => metrics.close() }]),
      ],
      config.stopTimeoutMs,
    );
  }
}

/** What one `fetch` process works with, round after round. */
interface FetchParts {
  config: FetchConfig;
  io: CommandIo;
  store: ImageStore;
  downloader: Downloader;
  index: MetadataIndex;
  metrics: RunningProcessMetrics | undefined;
}

/** How often a long round saves the metadata index, so a crash loses at most this much revalidation state. */
const INDEX_CHECKPOINT_MS = 30_000;

/**
 * Rounds back to back at a fixed rate: the next starts one interval after the
 * previous started, or at once if that one ran longer (then the missed start
 * is skipped, not queued: rounds never overlap). A list that cannot be read
 * is fatal on the first round only; later, it is reported and retried next
 * interval, so a half-saved edit does not stop the service.
 */
async function fetchEvery(everyMs: number, parts: FetchParts): Promise<void> {
  const { config, io } = parts;
  for (let round = 1; !io.signal.aborted; round++) {
    const startedAt = Date.now();
    try {
      await fetchRound(parts);
    } catch (error) {
      if (io.signal.aborted) return;
      if (round === 1 || !(error instanceof ImageLoaderError)) throw error;
      io.stderr.write(`error: ${error.message}; retrying at the next interval\n`);
    }
    const elapsed = Date.now() - startedAt;
    if (elapsed > everyMs && !config.quiet) {
      io.stderr.write(`round took ${(elapsed / 1000).toFixed(1)} s, longer than --every; starting the next one now\n`);
    }
    await sleep(Math.max(0, everyMs - elapsed), undefined, { signal: io.signal }).catch(() => {});
  }
}

async function fetchRound({ config, io, store, downloader, index, metrics }: FetchParts): Promise<RoundSummary> {
  const source = await openListSource(config.list, io.stdin as never, io.signal);
  const reporter = new ProgressReporter({
    listName: source.name,
    stream: io.stderr,
    live: (io.stderr as NodeJS.WriteStream).isTTY === true,
    quiet: config.quiet,
  });
  if (!config.quiet && config.list !== '-')
    void countListEntries(config.list).then((count) => reporter.expectEntries(count));
  // A new store needs no walk after its first round: all it will hold is what this round's index knows.
  const emptyAtStart = index.size === 0 && (await storeHoldsNothing(store.layout));
  const checkpoint = setInterval(() => void saveIndex(index, io), INDEX_CHECKPOINT_MS).unref();
  const listed = new Set<string>();
  const list = readAhead(noteListedUrls(readUrlList(source), listed), LIST_READ_AHEAD_BYTES, entryBytes);
  const removal = removeWhileRunning(config, { store, index, listed, ended: list.ended, signal: io.signal });
  let summary: RoundSummary;
  const steps = storeSettleSteps(downloader, index);
  try {
    summary = await runRound({
      listName: config.list,
      entries: list.entries,
      ...steps,
      ...(metrics?.downloads === undefined ? {} : { observeAttempt: observeAttempts(metrics.downloads) }),
      concurrency: config.concurrency,
      retries: config.retries,
      signal: io.signal,
      onEvent: reporter.onEvent,
    });
  } finally {
    removal.stop();
    // A stopped round ends its removals in flight first (each a few file calls): none is cut between its rename and unlink.
    if (io.signal.aborted) await removal.remover?.drained();
    clearInterval(checkpoint);
    reporter.finish();
    await saveIndex(index, io);
  }
  // A stopped round is not a round: the last complete one stays the store's word on freshness.
  if (!summary.aborted) {
    summary = await pruneFetchRound(summary, listed, {
      config,
      io,
      store,
      index,
      emptyAtStart,
      remover: removal.remover,
    });
    await saveIndex(index, io);
    await completeRound(store, summary).catch((error: NodeJS.ErrnoException) => {
      // The images are stored; only the freshness record is missing. Say so, and let the next round try again.
      io.stderr.write(
        `error: ${ErrorCode.Store}: cannot write ${store.layout.lastRoundFile}: ${error.code ?? error.message}
`,
      );
    });
  }

  metrics?.rounds?.observeRound(summary);
  if (config.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (!config.quiet) io.stdout.write(formatHumanSummary(summary, store.layout.root));
  else if (summary.counts.failed > 0) io.stderr.write(formatHumanSummary(summary, store.layout.root));
  return summary;
}

/**
 * How much of the list is read ahead of the downloads, in bytes of its entries: a list that fits is known to be
 * read to its end from the round's start, a longer one when this much is left, and removal during the round may
 * start then. 4 MiB: 40,000 URLs of 100 bytes, and at most 4 MiB of entries whatever their length.
 */
const LIST_READ_AHEAD_BYTES = 4 * 1024 * 1024;

/** An entry's weight in the read-ahead: its text, and what holding it costs besides. */
function entryBytes(entry: ListEntry): number {
  return 64 + (entry.kind === 'invalid' ? entry.raw.length : entry.url.length);
}

/**
 * With --keep-replaced 0, the round's replaced versions are removed while it runs, from when its list was read to
 * its end and named a valid URL (judgeRoundList: before that, this may not be a round that removes anything).
 * `stop` ends the hand-over from the index when the round ends, however it ends.
 */
function removeWhileRunning(
  config: FetchConfig,
  round: {
    store: ImageStore;
    index: MetadataIndex;
    listed: ReadonlySet<string>;
    ended: Promise<void>;
    signal: AbortSignal;
  },
): { remover: ReplacedBlobRemover | undefined; stop(): void } {
  if (config.keepReplacedMs !== 0) return { remover: undefined, stop: () => {} };
  const remover = new ReplacedBlobRemover(round.store, round.signal);
  let over = false;
  void round.ended.then(() => {
    if (over || judgeRoundList({ complete: true, validUrls: round.listed.size }) !== undefined) return;
    for (const blob of round.index.routeReplaced(remover.add)) remover.add(blob);
  });
  return {
    remover,
    stop: () => {
      over = true;
      round.index.keepReplaced();
    },
  };
}

/** Saves the metadata index; a failure is reported, not fatal: the images are stored, and the next save tries again. */
async function saveIndex(index: MetadataIndex, io: CommandIo): Promise<void> {
  await index.save().catch((error: NodeJS.ErrnoException) => {
    io.stderr.write(`error: ${ErrorCode.Store}: cannot save the metadata index: ${error.code ?? error.message}\n`);
  });
}
