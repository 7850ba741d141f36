import type { Setting } from '../core/config/setting.js';
import { fetchSettings } from '../fetch/fetch-settings.js';

/** Help text, generated from the settings tables so flags, variables and defaults cannot drift from the code. */
export function usage(command?: string): string {
  if (command === 'fetch') {
    return [
      'Usage: image-loader fetch LIST [options]',
      '',
      'Downloads every image named in LIST (a file with one URL a line, or - for',
      'standard input) into the store, once, or every --every until stopped.',
      'Exit code: 0 all stored or unchanged, 1 some failed, 2 usage error or unreadable list.',
      '',
      'Options (each also as an environment variable):',
      ...Object.values(fetchSettings).map(describe),
      '',
    ].join('\n');
  }
  return [
    'Usage: image-loader <command> [options]',
    '',
    'Commands:',
    '  fetch LIST    download every image in LIST into a local store (no Redis)',
    '',
    'image-loader <command> --help    options of a command',
    'image-loader --version',
    '',
  ].join('\n');
}

function describe(setting: Setting<unknown>): string {
  const flag = setting.kind === 'switch' ? `--${setting.flag}` : `--${setting.flag} VALUE`;
  return `  ${flag.padEnd(26)}${setting.help} [${setting.env}]`;
}
