import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArgs } from 'node:util';
import { downloadSettings } from '../../core/config/download-settings.js';
import { parseArgsOptions, resolveSettings } from '../../core/config/setting.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';

type Flags = Record<string, string | boolean | undefined>;
type Key = keyof typeof downloadSettings;

const DEFAULTS = {
  store: './images',
  perHost: 8,
  maxBytes: 52_428_800,
  timeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  retries: 3,
  allowPrivate: false,
  allowSvg: false,
  fsync: false,
  userAgent: undefined,
  revalidate: 'auto',
};

// [name, flags, env, the settings that differ from the defaults]
const resolved: Array<[name: string, flags: Flags, env: NodeJS.ProcessEnv, changed: Partial<Record<Key, unknown>>]> = [
  ['nothing given: defaults', {}, {}, {}],
  ['environment over default', {}, { IMAGE_LOADER_PER_HOST: '16' }, { perHost: 16 }],
  ['flag over default', { 'per-host': '4' }, {}, { perHost: 4 }],
  ['flag over environment', { 'per-host': '4' }, { IMAGE_LOADER_PER_HOST: '16' }, { perHost: 4 }],
  ['empty environment value is unset', {}, { IMAGE_LOADER_PER_HOST: '' }, {}],
  [
    'undefined flag falls through to the environment',
    { 'per-host': undefined },
    { IMAGE_LOADER_PER_HOST: '2' },
    { perHost: 2 },
  ],
  ['sizes with units', { 'max-bytes': '10MB' }, {}, { maxBytes: 10_000_000 }],
  ['sizes from the environment', {}, { IMAGE_LOADER_MAX_BYTES: '1KiB' }, { maxBytes: 1024 }],
  ['timeout in plain seconds', { timeout: '30' }, {}, { timeoutMs: 30_000 }],
  [
    'timeouts with units',
    {},
    { IMAGE_LOADER_TIMEOUT: '2m', IMAGE_LOADER_CONNECT_TIMEOUT: '500ms', IMAGE_LOADER_IDLE_TIMEOUT: '1m30s' },
    { timeoutMs: 120_000, connectTimeoutMs: 500, idleTimeoutMs: 90_000 },
  ],
  ['smallest timeout', { 'connect-timeout': '100ms' }, {}, { connectTimeoutMs: 100 }],
  ['retries bounds', { retries: '0' }, {}, { retries: 0 }],
  ['retries upper bound', {}, { IMAGE_LOADER_RETRIES: '20' }, { retries: 20 }],
  ['switch flag', { 'allow-svg': true }, {}, { allowSvg: true }],
  ['switch flag over environment', { 'allow-svg': true }, { IMAGE_LOADER_ALLOW_SVG: 'no' }, { allowSvg: true }],
  ['switch from the environment: yes', {}, { IMAGE_LOADER_ALLOW_SVG: 'yes' }, { allowSvg: true }],
  ['switch from the environment: 1', {}, { IMAGE_LOADER_ALLOW_PRIVATE: '1' }, { allowPrivate: true }],
  ['switch from the environment: TRUE', {}, { IMAGE_LOADER_ALLOW_PRIVATE: 'TRUE' }, { allowPrivate: true }],
  ['switch from the environment: off', {}, { IMAGE_LOADER_ALLOW_PRIVATE: 'off' }, { allowPrivate: false }],
  ['switch from the environment: 0', {}, { IMAGE_LOADER_ALLOW_SVG: '0' }, { allowSvg: false }],
  [
    'string settings',
    { store: '/srv/images', 'user-agent': 'fleet-bot/2' },
    {},
    { store: '/srv/images', userAgent: 'fleet-bot/2' },
  ],
  ['choice setting', {}, { IMAGE_LOADER_REVALIDATE: 'always' }, { revalidate: 'always' }],
  ['unrelated environment ignored', {}, { PER_HOST: '99', IMAGE_LOADER_UNKNOWN: 'x' }, {}],
];

// [name, flags, env, exact message]: the message names the flag or variable, what was expected and what was given.
const refused: Array<[name: string, flags: Flags, env: NodeJS.ProcessEnv, message: string]> = [
  ['per-host 0 by flag', { 'per-host': '0' }, {}, '--per-host: expected an integer from 1 to 256, got "0"'],
  [
    'per-host too large by environment',
    {},
    { IMAGE_LOADER_PER_HOST: '257' },
    'IMAGE_LOADER_PER_HOST: expected an integer from 1 to 256, got "257"',
  ],
  [
    'per-host not a number',
    {},
    { IMAGE_LOADER_PER_HOST: 'many' },
    'IMAGE_LOADER_PER_HOST: expected an integer from 1 to 256, got "many"',
  ],
  ['per-host fractional', { 'per-host': '2.5' }, {}, '--per-host: expected an integer from 1 to 256, got "2.5"'],
  [
    'a bad flag is reported even when the environment is valid',
    { 'per-host': 'x' },
    { IMAGE_LOADER_PER_HOST: '4' },
    '--per-host: expected an integer from 1 to 256, got "x"',
  ],
  [
    'max-bytes zero',
    { 'max-bytes': '0' },
    {},
    '--max-bytes: expected a size such as 52428800, 10MB or 50MiB (at least 1 byte), got "0"',
  ],
  [
    'max-bytes unknown unit',
    {},
    { IMAGE_LOADER_MAX_BYTES: '10TB' },
    'IMAGE_LOADER_MAX_BYTES: expected a size such as 52428800, 10MB or 50MiB (at least 1 byte), got "10TB"',
  ],
  [
    'timeout below 100ms',
    { timeout: '50ms' },
    {},
    '--timeout: expected a duration of at least 100ms, in seconds (30) or with a unit (30s, 2m), got "50ms"',
  ],
  [
    'connect-timeout garbage',
    {},
    { IMAGE_LOADER_CONNECT_TIMEOUT: 'soon' },
    'IMAGE_LOADER_CONNECT_TIMEOUT: expected a duration of at least 100ms, in seconds or with a unit, got "soon"',
  ],
  [
    'idle-timeout zero',
    { 'idle-timeout': '0' },
    {},
    '--idle-timeout: expected a duration of at least 100ms, in seconds or with a unit, got "0"',
  ],
  ['retries 21', { retries: '21' }, {}, '--retries: expected an integer from 0 to 20, got "21"'],
  [
    'switch from the environment: maybe',
    {},
    { IMAGE_LOADER_ALLOW_SVG: 'maybe' },
    'IMAGE_LOADER_ALLOW_SVG: expected a switch (1/0, true/false, yes/no in the environment), got "maybe"',
  ],
  [
    'revalidate never',
    {},
    { IMAGE_LOADER_REVALIDATE: 'never' },
    'IMAGE_LOADER_REVALIDATE: expected "auto" or "always", got "never"',
  ],
  ['empty store flag', { store: '' }, {}, '--store: expected a directory path, got ""'],
  ['blank user agent flag', { 'user-agent': '  ' }, {}, '--user-agent: expected a non-empty string, got "  "'],
];

describe('resolveSettings with the download settings', () => {
  for (const [name, flags, env, changed] of resolved) {
    test(name, () => {
      assert.deepEqual(resolveSettings(downloadSettings, flags, env), { ...DEFAULTS, ...changed });
    });
  }

  for (const [name, flags, env, message] of refused) {
    test(`refused: ${name}`, () => {
      assert.throws(
        () => resolveSettings(downloadSettings, flags, env),
        (error: unknown) => {
          assert.ok(error instanceof ImageLoaderError, String(error));
          assert.equal(error.code, ErrorCode.InvalidConfig);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  test('each setting has its own flag and its own IMAGE_LOADER_ variable named after it', () => {
    const settings = Object.values(downloadSettings);
    assert.equal(new Set(settings.map((s) => s.flag)).size, settings.length);
    assert.equal(new Set(settings.map((s) => s.env)).size, settings.length);
    for (const setting of settings) {
      assert.match(setting.flag, /^[a-z]+(-[a-z]+)*$/);
      assert.equal(setting.env, `IMAGE_LOADER_${setting.flag.toUpperCase().replaceAll('-', '_')}`);
    }
  });

  const argv: Array<[args: string[], changed: Partial<Record<Key, unknown>>]> = [
    [[], {}],
    [['--per-host', '4', '--allow-svg'], { perHost: 4, allowSvg: true }],
    [
      ['--max-bytes=1M', '--timeout', '5s', '--allow-private', '--revalidate', 'always'],
      { maxBytes: 1_048_576, timeoutMs: 5000, allowPrivate: true, revalidate: 'always' },
    ],
  ];
  for (const [args, changed] of argv) {
    test(`parseArgsOptions feeds resolveSettings: ${args.join(' ') || '(no arguments)'}`, () => {
      const { values } = parseArgs({ args, options: parseArgsOptions(downloadSettings), strict: true });
      assert.deepEqual(resolveSettings(downloadSettings, values, { IMAGE_LOADER_PER_HOST: '32' }), {
        ...DEFAULTS,
        perHost: 32,
        ...changed,
      });
    });
  }

  test('a switch given a value on the command line is refused by parseArgs', () => {
    assert.throws(
      () => parseArgs({ args: ['--allow-svg=yes'], options: parseArgsOptions(downloadSettings), strict: true }),
      { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' },
    );
  });
});
