import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';

/**
 * One setting: one CLI flag, one environment variable, one default, one
 * validation. Precedence is flag > environment > default.
 */
export interface Setting<T> {
  /** Long flag without dashes: `max-bytes` is `--max-bytes`. */
  flag: string;
  /** Environment variable: `IMAGE_LOADER_MAX_BYTES`. */
  env: string;
  /** `switch` settings take no value on the command line (`--quiet`); in the environment they take 1/0, true/false, yes/no. */
  kind: 'value' | 'switch';
  default: T;
  /** What a valid value looks like, for error messages and help. */
  expected: string;
  /** What the setting does; its default is added by `formatDefault`, never written here. */
  help: string;
  /** Returns undefined when `text` is not valid. */
  parse(text: string): T | undefined;
  /** Writes a value the way `parse` reads it (`5m`, `50MiB`); `String(value)` without it. */
  format?(value: NonNullable<T>): string;
  /** Says what an absent value means, for defaults that are not a value: "none (required)". */
  defaultText?: string;
}

export type SettingValues<Table extends Record<string, Setting<unknown>>> = {
  [Key in keyof Table]: Table[Key] extends Setting<infer T> ? T : never;
};

export function valueSetting<T>(spec: Omit<Setting<T>, 'kind'>): Setting<T> {
  return { ...spec, kind: 'value' };
}

export function switchSetting(spec: Pick<Setting<boolean>, 'flag' | 'env' | 'help'>): Setting<boolean> {
  return {
    ...spec,
    kind: 'switch',
    default: false,
    expected: 'a switch (1/0, true/false, yes/no in the environment)',
    parse: parseBoolean,
  };
}

function parseBoolean(text: string): boolean | undefined {
  const value = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  return undefined;
}

/**
 * Resolves every setting of `table` from parsed flags and the environment,
 * validating each. The first invalid value stops start-up with a message that
 * names the setting, what was expected and what was given.
 */
export function resolveSettings<Table extends Record<string, Setting<unknown>>>(
  table: Table,
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): SettingValues<Table> {
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(table)) {
    const flagValue = flags[setting.flag];
    const envValue = env[setting.env];
    let source: string;
    let text: string;
    if (flagValue !== undefined) {
      if (typeof flagValue === 'boolean') {
        values[key] = flagValue;
        continue;
      }
      source = `--${setting.flag}`;
      text = flagValue;
    } else if (envValue !== undefined && envValue !== '') {
      source = setting.env;
      text = envValue;
    } else {
      values[key] = setting.default;
      continue;
    }
    const parsed = setting.parse(text);
    if (parsed === undefined) {
      throw new ImageLoaderError(
        ErrorCode.InvalidConfig,
        `${source}: expected ${setting.expected}, got ${JSON.stringify(text)}`,
      );
    }
    values[key] = parsed;
  }
  return values as SettingValues<Table>;
}

/**
 * A setting's default as help and the reference show it: `off` for a switch,
 * `none` for an absent value unless the row says what that means, else the
 * value written the way the setting accepts it.
 */
export function formatDefault(setting: Setting<unknown>): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  if (setting.kind === 'switch') return 'off';
  const value = setting.default;
  if (value === undefined || value === null) return 'none';
  return setting.format ? setting.format(value) : String(value);
}

/** The `util.parseArgs` option table for a settings table. */
export function parseArgsOptions(
  table: Record<string, Setting<unknown>>,
): Record<string, { type: 'string' | 'boolean' }> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const setting of Object.values(table))
    options[setting.flag] = { type: setting.kind === 'switch' ? 'boolean' : 'string' };
  return options;
}
