import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonLogger } from '../core/log/json-logger.js';
import { STOP_SLACK_MS } from '../core/service/stop-watchdog.js';
import { answerClusterMetrics } from './cluster-metrics.js';

/**
 * Past --stop-timeout, how long the primary waits for its workers' last closes before it kills them: less than
 * the watchdog's slack, so the primary never exits leaving a worker behind.
 */
const WORKER_KILL_SLACK_MS = STOP_SLACK_MS / 2;
/** A worker that exits on its own is started again after this pause, so a crash loop cannot spin the CPU. */
const RESTART_PAUSE_MS = 1_000;

/**
 * The primary of `image-loader web --workers N` (N > 1): starts N worker
 * processes (node:cluster) that each run the whole web node on the one
 * shared port, starts again one that exits on its own, and sums the workers'
 * metrics for whichever worker answers a scrape (cluster-metrics.ts). On
 * `signal` it tells each to stop (workerStopSignal) and waits for them all,
 * killing any still running shortly after `stopTimeoutMs` (each worker
 * closes its own connections at `stopTimeoutMs`). Each worker has its share
 * of the image cache, and writes its access log in batches of whole lines
 * (batched-line-writer.ts) on the shared stdout.
 */
export async function runWebPrimary(
  workers: number,
  stopTimeoutMs: number,
  signal: AbortSignal,
  log: JsonLogger,
): Promise<void> {
  answerClusterMetrics();
  const running = new Set<Worker>();
  const start = (): void => {
    const worker = cluster.fork();
    running.add(worker);
    // A send to a worker whose channel just closed fails here, not as an uncaught error: its exit follows.
    worker.on('error', (error) =>
      log.warn('web worker channel error', { workerPid: worker.process.pid, error: error.message }),
    );
    worker.once('exit', (code, signalName) => {
      running.delete(worker);
      if (signal.aborted) return;
      log.error('web worker exited; starting another', { workerPid: worker.process.pid, code, signal: signalName });
      void sleep(RESTART_PAUSE_MS, undefined, { ref: false }).then(() => {
        if (!signal.aborted) start();
      });
    });
  };
  for (let index = 0; index < workers; index++) start();
  log.info('web workers started', { workers });
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const exits = [...running].map(
    (worker) =>
      new Promise<void>((resolve) => {
        if (worker.isDead()) return resolve();
        worker.once('exit', () => resolve());
        // A message, not SIGTERM: systemd may have signalled the worker already, and a second SIGTERM means "exit now".
        if (worker.isConnected()) worker.send(STOP_MESSAGE);
      }),
  );
  const timer = new AbortController();
  const allExited = await Promise.race([
    Promise.allSettled(exits).then(() => true),
    sleep(stopTimeoutMs + WORKER_KILL_SLACK_MS, false, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  if (!allExited) {
    log.warn('web workers still running after the stop timeout: killing them', { workers: running.size });
    for (const worker of running) worker.process.kill('SIGKILL');
  }
}

const STOP_MESSAGE = 'image-loader:stop';

/**
 * In a worker: aborted when the process is told to stop (SIGTERM, `signal`),
 * when the primary says so, or when the primary is gone (its IPC channel
 * closed): a worker never outlives its primary.
 */
export function workerStopSignal(signal: AbortSignal): AbortSignal {
  const stop = new AbortController();
  const onMessage = (message: unknown): void => {
    if (message === STOP_MESSAGE) stop.abort();
  };
  const onDisconnect = (): void => stop.abort();
  process.on('message', onMessage);
  process.once('disconnect', onDisconnect);
  stop.signal.addEventListener('abort', () => {
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
  });
  return AbortSignal.any([signal, stop.signal]);
}
