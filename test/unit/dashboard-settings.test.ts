import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type DashboardConfig, parseDashboardArgs } from '../../coordinator/dashboard/dashboard-settings.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';

const DEFAULTS: DashboardConfig = {
  redis: 'redis://127.0.0.1:6379',
  redisPasswordFile: undefined,
  prefix: 'image-loader',
  port: 3000,
  host: '127.0.0.1',
  allowActions: false,
  user: undefined,
  passwordFile: undefined,
  stopTimeoutMs: 30_000,
  metricsTokenFile: undefined,
  password: undefined,
};

describe('dashboard settings', () => {
  // [name, args, env, the settings that differ from the defaults]
  const resolved: Array<[string, string[], NodeJS.ProcessEnv, Partial<DashboardConfig>]> = [
    ['nothing given: loopback, port 3000, read-only, no credentials', [], {}, {}],
    ['port and host by flag', ['--port', '8080', '--host', '::1'], {}, { port: 8080, host: '::1' }],
    ['port 0: any free port', ['--port', '0'], {}, { port: 0 }],
    [
      'port and host from the environment',
      [],
      { IMAGE_LOADER_DASHBOARD_PORT: '9000', IMAGE_LOADER_DASHBOARD_HOST: '127.0.0.2' },
      { port: 9000, host: '127.0.0.2' },
    ],
    ['localhost means 127.0.0.1', ['--host', 'localhost'], {}, { host: '127.0.0.1' }],
    ['a bracketed IPv6 address', ['--host', '[::1]'], {}, { host: '::1' }],
    ['actions by flag', ['--allow-actions'], {}, { allowActions: true }],
    ['actions from the environment', [], { IMAGE_LOADER_DASHBOARD_ALLOW_ACTIONS: 'yes' }, { allowActions: true }],
    [
      "the fleet's settings",
      ['--prefix', 'fleet2', '--redis', 'redis://10.0.0.5:6380/1'],
      { IMAGE_LOADER_REDIS_PASSWORD_FILE: '/etc/redis-pass' },
      { prefix: 'fleet2', redis: 'redis://10.0.0.5:6380/1', redisPasswordFile: '/etc/redis-pass' },
    ],
    [
      'credentials from the environment',
      [],
      { IMAGE_LOADER_DASHBOARD_USER: 'ops', IMAGE_LOADER_DASHBOARD_PASSWORD: 'pw' },
      { user: 'ops', password: 'pw' },
    ],
    [
      'credentials with a password file',
      ['--user', 'ops', '--password-file', '/etc/dash-pass'],
      {},
      { user: 'ops', passwordFile: '/etc/dash-pass' },
    ],
    [
      'password file from the environment',
      [],
      { IMAGE_LOADER_DASHBOARD_USER: 'ops', IMAGE_LOADER_DASHBOARD_PASSWORD_FILE: '/p' },
      { user: 'ops', passwordFile: '/p' },
    ],
    [
      'with credentials, any address',
      ['--host', '0.0.0.0'],
      { IMAGE_LOADER_DASHBOARD_USER: 'ops', IMAGE_LOADER_DASHBOARD_PASSWORD: 'pw' },
      { host: '0.0.0.0', user: 'ops', password: 'pw' },
    ],
    ['an empty password variable is unset', [], { IMAGE_LOADER_DASHBOARD_PASSWORD: '' }, {}],
    ['another loopback address needs no credentials', ['--host', '127.0.0.53'], {}, { host: '127.0.0.53' }],
  ];
  for (const [name, args, env, changed] of resolved) {
    test(name, () => assert.deepEqual(parseDashboardArgs(args, env), { ...DEFAULTS, ...changed }));
  }

  // [name, args, env, the message, or a part of it]
  const refused: Array<[string, string[], NodeJS.ProcessEnv, string | RegExp]> = [
    [
      'a non-loopback address without credentials',
      ['--host', '0.0.0.0'],
      {},
      /^--host \(IMAGE_LOADER_DASHBOARD_HOST\) 0\.0\.0\.0 is not a loopback address, and no credentials are configured/,
    ],
    [
      'the same from the environment',
      [],
      { IMAGE_LOADER_DASHBOARD_HOST: '10.1.2.3' },
      /10\.1\.2\.3 is not a loopback address/,
    ],
    ['an IPv6 wildcard without credentials', ['--host', '::'], {}, /:: is not a loopback address/],
    [
      'a host name',
      ['--host', 'dash.example'],
      {},
      '--host: expected an IP address such as 127.0.0.1, ::1 or 0.0.0.0 (or localhost), got "dash.example"',
    ],
    [
      'port too large',
      ['--port', '70000'],
      {},
      '--port: expected a TCP port from 0 to 65535 (0: any free port, logged), got "70000"',
    ],
    [
      'port not a number',
      [],
      { IMAGE_LOADER_DASHBOARD_PORT: 'http' },
      'IMAGE_LOADER_DASHBOARD_PORT: expected a TCP port from 0 to 65535 (0: any free port, logged), got "http"',
    ],
    ['a user without a password', ['--user', 'ops'], {}, /a dashboard user is set .* but no password/],
    [
      'a password without a user',
      [],
      { IMAGE_LOADER_DASHBOARD_PASSWORD: 'pw' },
      /a dashboard password is set but no user/,
    ],
    ['a password file without a user', ['--password-file', '/p'], {}, /a dashboard password is set but no user/],
    [
      'both a password and a password file',
      ['--user', 'ops', '--password-file', '/p'],
      { IMAGE_LOADER_DASHBOARD_PASSWORD: 'pw' },
      /both set: give the password one way/,
    ],
    [
      'a colon in the user name',
      ['--user', 'a:b'],
      { IMAGE_LOADER_DASHBOARD_PASSWORD: 'pw' },
      /^--user: expected a user name of 1 to 128 characters without ":"/,
    ],
    ['no --password flag (it would show in ps)', ['--password', 'pw'], {}, /Unknown option '--password'/],
    ['an unknown flag', ['--allow-everything'], {}, /Unknown option/],
  ];
  for (const [name, args, env, message] of refused) {
    test(`refused: ${name}`, () => {
      assert.throws(
        () => parseDashboardArgs(args, env),
        (error: unknown) => {
          assert.ok(error instanceof ImageLoaderError);
          assert.equal(error.code, ErrorCode.InvalidConfig);
          if (typeof message === 'string') assert.equal(error.message, message);
          else assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
