import { formatDefault, type Setting } from '../core/config/setting.js';
import { COMMANDS } from './commands.js';

/** Help text, generated from the settings tables so flags, variables and defaults cannot drift from the code. */
export function usage(command?: string): string {
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (spec) {
    return [
      `Usage: ${spec.synopsis}`,
      '',
      ...spec.about,
      `Exit code: ${spec.exitCodes}`,
      '',
      'Options (each also as an environment variable):',
      ...Object.values(spec.settings).map(describe),
      '',
    ].join('\n');
  }
  return [
    'Usage: image-loader <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(
      ([name, { summary }]) => `  ${(name === 'fetch' ? 'fetch LIST' : name).padEnd(15)}${summary}`,
    ),
    '',
    'image-loader <command> --help    options of a command',
    'image-loader --version',
    '',
  ].join('\n');
}

function describe(setting: Setting<unknown>): string {
  const flag = setting.kind === 'switch' ? `--${setting.flag}` : `--${setting.flag} VALUE`;
  return `  ${flag.padEnd(32)}${setting.help} (default: ${formatDefault(setting)}) [${setting.env}]`;
}
