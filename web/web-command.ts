import { hostname } from 'node:os';
import { parseCommandArgs } from '../core/config/parse-command-args.js';
import type { SettingValues } from '../core/config/setting.js';
import { packageVersion } from '../core/config/version.js';
import { EXIT_OK } from '../core/errors/exit-codes.js';
import { JsonLogger } from '../core/log/json-logger.js';
import { type ServiceIo, untilAborted } from '../core/service/service-io.js';
import { armStopWatchdog } from '../core/service/stop-watchdog.js';
import { startWebServer } from './web-server.js';
import { webSettings } from './web-settings.js';

export type WebConfig = SettingValues<typeof webSettings>;

export function parseWebArgs(args: string[], env: NodeJS.ProcessEnv): WebConfig {
  return parseCommandArgs(webSettings, args, env).settings;
}

/** `image-loader web`: serves the store (an NFS mount, read-only) until SIGTERM; exit 0. */
export async function runWeb(config: WebConfig, io: ServiceIo): Promise<number> {
  armStopWatchdog(io.signal, config.stopTimeoutMs);
  const log = new JsonLogger(io.stdout, { process: 'web', host: hostname(), pid: process.pid });
  log.info('web node starting', { version: packageVersion() });
  const server = await startWebServer({ ...config, log });
  await untilAborted(io.signal);
  log.info('stopping', { stopTimeoutMs: config.stopTimeoutMs });
  await server.close(config.stopTimeoutMs);
  log.info('web node stopped');
  return EXIT_OK;
}
