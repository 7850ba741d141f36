import { integer } from '../../core/config/download-settings.js';
import { parseCommandArgs } from '../../core/config/parse-command-args.js';
import { parseListenAddress } from '../../core/config/parse-listen-address.js';
import { type SettingValues, switchSetting, valueSetting } from '../../core/config/setting.js';
import { stopTimeoutSetting } from '../../core/config/stop-timeout-setting.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';
import { fleetSettings } from '../../core/fleet/fleet-settings.js';
import { isLoopbackAddress } from './loopback.js';

/**
 * The password's variable. It has no flag on purpose, like the Redis
 * password: a flag would show it in `ps` to every user of the machine.
 */
export const DASHBOARD_PASSWORD_ENV = 'IMAGE_LOADER_DASHBOARD_PASSWORD';

/**
 * Everything `image-loader dashboard` accepts. Its own variables carry
 * DASHBOARD_ so that one environment file can serve a web node (which has a
 * port and host of its own) and a dashboard on the same machine.
 */
export const dashboardSettings = {
  redis: fleetSettings.redis,
  redisPasswordFile: fleetSettings.redisPasswordFile,
  prefix: fleetSettings.prefix,
  port: valueSetting<number>({
    flag: 'port',
    env: 'IMAGE_LOADER_DASHBOARD_PORT',
    default: 3000,
    expected: 'a TCP port from 0 to 65535 (0: any free port, logged)',
    help: 'TCP port to listen on (0 picks a free one and logs it).',
    parse: integer(0, 65_535),
  }),
  host: valueSetting<string>({
    flag: 'host',
    env: 'IMAGE_LOADER_DASHBOARD_HOST',
    default: '127.0.0.1',
    expected: 'an IP address such as 127.0.0.1, ::1 or 0.0.0.0 (or localhost)',
    help: 'Address to listen on; one that is not loopback needs credentials.',
    parse: parseListenAddress,
  }),
  allowActions: switchSetting({
    flag: 'allow-actions',
    env: 'IMAGE_LOADER_DASHBOARD_ALLOW_ACTIONS',
    help: 'Enable retrying, cleaning and promoting jobs (read-only without it).',
  }),
  user: valueSetting<string | undefined>({
    flag: 'user',
    env: 'IMAGE_LOADER_DASHBOARD_USER',
    default: undefined,
    expected: 'a user name of 1 to 128 characters without ":" or control characters',
    help: `User name for HTTP basic auth; the password comes from ${DASHBOARD_PASSWORD_ENV} or --password-file.`,
    // Basic auth sends "user:password": a colon in the name would make the split ambiguous.
    parse: (text) => (/^[^:\p{Cc}]{1,128}$/u.test(text) ? text : undefined),
  }),
  passwordFile: valueSetting<string | undefined>({
    flag: 'password-file',
    env: 'IMAGE_LOADER_DASHBOARD_PASSWORD_FILE',
    default: undefined,
    expected: 'a file path',
    help: 'File holding the basic auth password (one line).',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
  stopTimeoutMs: stopTimeoutSetting,
  metricsTokenFile: valueSetting<string | undefined>({
    flag: 'metrics-token-file',
    env: 'IMAGE_LOADER_DASHBOARD_METRICS_TOKEN_FILE',
    default: undefined,
    expected: 'a file path',
    help: 'File holding a bearer token (one line) that opens /metrics alone to a scraper, without the credentials.',
    parse: (text) => (text.trim() === '' ? undefined : text),
  }),
};

export type DashboardConfig = SettingValues<typeof dashboardSettings> & {
  /** The password from the environment; undefined when it comes from the file, or when there are no credentials. */
  password: string | undefined;
};

/**
 * Parses and cross-checks the dashboard's settings. Credentials come whole
 * or not at all, and without them the dashboard may listen on loopback
 * only: bull-board has no authentication of its own and reading it is
 * reading Redis. Throws IMG_ERR_INVALID_CONFIG.
 */
export function parseDashboardArgs(args: string[], env: NodeJS.ProcessEnv): DashboardConfig {
  const settings = parseCommandArgs(dashboardSettings, args, env).settings;
  const envPassword = env[DASHBOARD_PASSWORD_ENV];
  const password = envPassword === undefined || envPassword === '' ? undefined : envPassword;
  const config = { ...settings, password };
  const { user, passwordFile } = settings;
  if (password !== undefined && passwordFile !== undefined) {
    throw invalid(
      `${DASHBOARD_PASSWORD_ENV} and --password-file (IMAGE_LOADER_DASHBOARD_PASSWORD_FILE) are both set: give the password one way`,
    );
  }
  if (user !== undefined && password === undefined && passwordFile === undefined) {
    throw invalid(
      `a dashboard user is set (--user or IMAGE_LOADER_DASHBOARD_USER) but no password: set ${DASHBOARD_PASSWORD_ENV} or --password-file (IMAGE_LOADER_DASHBOARD_PASSWORD_FILE)`,
    );
  }
  if (user === undefined && (password !== undefined || passwordFile !== undefined)) {
    throw invalid('a dashboard password is set but no user: set --user (or IMAGE_LOADER_DASHBOARD_USER)');
  }
  if (user === undefined && !isLoopbackAddress(settings.host)) {
    throw invalid(
      `--host (IMAGE_LOADER_DASHBOARD_HOST) ${settings.host} is not a loopback address, and no credentials are configured: ` +
        `the dashboard gives access to Redis, so without credentials it listens on loopback only; ` +
        `set IMAGE_LOADER_DASHBOARD_USER and ${DASHBOARD_PASSWORD_ENV} (or IMAGE_LOADER_DASHBOARD_PASSWORD_FILE), or listen on 127.0.0.1`,
    );
  }
  return config;
}

function invalid(message: string): ImageLoaderError {
  return new ImageLoaderError(ErrorCode.InvalidConfig, message);
}
