import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { packageVersion } from '../core/config/version.js';
import { EXIT_OK } from '../core/errors/exit-codes.js';
import { BatchedLineWriter } from '../core/log/batched-line-writer.js';
import { JsonLogger } from '../core/log/json-logger.js';
import { type ServiceIo, untilAborted } from '../core/service/service-io.js';
import { armStopWatchdog } from '../core/service/stop-watchdog.js';
import { runWebPrimary, workerStopSignal } from './web-cluster.js';
import { startWebServer } from './web-server.js';
import { webSettings } from './web-settings.js';

export type WebConfig = SettingValues<typeof webSettings>;

export function parseWebArgs(args: string[], env: NodeJS.ProcessEnv): WebConfig {
  return parseCommandArgs(webSettings, args, env).settings;
}

/** `image-loader web`: serves the store (an NFS mount, read-only) until SIGTERM; exit 0. */
export async function runWeb(config: WebConfig, io: ServiceIo): Promise<number> {
  const stop = cluster.isWorker ? workerStopSignal(io.signal) : io.signal;
  armStopWatchdog(stop, config.stopTimeoutMs);
  // The access log is one line a request: written in batches, once per turn of the event loop; the other lines
  // (start, state changes, errors) at once, in order with the batches.
  const lines = new BatchedLineWriter(io.stdout);
  const flushAtExit = (): void => lines.flush();
  process.once('exit', flushAtExit);
  const fields = { process: 'web', host: hostname(), pid: process.pid };
  const log = new JsonLogger(lines.immediate, fields);
  const accessLog = new JsonLogger(lines, fields);
  try {
    log.info('web node starting', { version: packageVersion() });
    if (config.workers > 1 && cluster.isPrimary) {
      await runWebPrimary(config.workers, config.stopTimeoutMs, io.signal, log);
      log.info('web node stopped');
      return EXIT_OK;
    }
    const server = await startWebServer({
      ...config,
      // The memory bound is --cache-size for the whole node, whatever the number of processes.
      cacheSize: cluster.isWorker ? Math.floor(config.cacheSize / config.workers) : config.cacheSize,
      clustered: cluster.isWorker,
      log,
      accessLog,
    });
    await untilAborted(stop);
    log.info('stopping', { stopTimeoutMs: config.stopTimeoutMs });
    await server.close(config.stopTimeoutMs);
    // A worker's channel to its primary keeps its event loop alive: closed, the process ends.
    if (cluster.isWorker) cluster.worker?.disconnect();
    log.info('web node stopped');
    return EXIT_OK;
  } finally {
    lines.flush();
    process.off('exit', flushAtExit);
  }
}
