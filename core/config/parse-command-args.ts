import { parseArgs } from 'node:util';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import { parseArgsOptions, resolveSettings, type Setting, type SettingValues } from './setting.js';

/**
 * A command's arguments: its settings table's flags (strict: an unknown flag
 * is an error) resolved with the environment, and its positional arguments.
 * Throws IMG_ERR_INVALID_CONFIG.
 */
export function parseCommandArgs<Table extends Record<string, Setting<unknown>>>(
  table: Table,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { positionals?: boolean } = {},
): { settings: SettingValues<Table>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: parseArgsOptions(table),
      allowPositionals: options.positionals === true,
      strict: true,
    });
  } catch (error) {
    throw new ImageLoaderError(ErrorCode.InvalidConfig, (error as Error).message);
  }
  return { settings: resolveSettings(table, parsed.values, env), positionals: parsed.positionals };
}
