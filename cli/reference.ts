import { formatDefault, type Setting } from '../core/config/setting.js';
import { COMMANDS } from './commands.js';

/** Where the reference lives, from the repository root; `npm run docs` writes it, a unit test compares it. */
export const REFERENCE_PATH = 'docs/reference.md';

/**
 * The reference of every command, flag and environment variable with its
 * default, as Markdown, generated from the same tables as `--help`: the
 * committed file cannot drift from the code without a test failing.
 */
export function renderReference(): string {
  const lines = [
    '# image-loader reference',
    '',
    '<!-- Generated from the settings tables by `npm run docs` (cli/reference.ts). Do not edit by hand:',
    '     test/unit/reference.test.ts fails when this file differs from what the code generates. -->',
    '',
    'Every setting is a command-line flag and an environment variable: a flag beats the variable, the',
    'variable beats the default, and an empty variable counts as unset. A bad value stops start-up with',
    'exit code 2 and `IMG_ERR_INVALID_CONFIG`, naming the setting, what it expects and what it got.',
    '',
    '- Switches take no value as flags (`--quiet`); as variables they take `1/0`, `true/false`, `yes/no`, `on/off`.',
    '- Durations: `250ms`, `30s`, `5m`, `1h30m`, `1d`, or a plain number of seconds (`30`).',
    '- Sizes: plain bytes (`52428800`), SI units (`10MB` = 10,000,000 bytes) or binary ones (`50MiB`, `50M`).',
    '',
    '| command | what it does |',
    '| --- | --- |',
    ...Object.entries(COMMANDS).map(([name, spec]) => `| [\`${name}\`](#${name}) | ${cell(spec.summary)} |`),
  ];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    lines.push('', `## ${name}`, '', `\`${spec.synopsis}\``, '', ...spec.about, '', `Exit code: ${spec.exitCodes}`, '');
    lines.push('| flag | variable | default | accepts | meaning |', '| --- | --- | --- | --- | --- |');
    for (const setting of Object.values(spec.settings)) lines.push(settingRow(setting));
    for (const variable of spec.variables ?? [])
      lines.push(`| (none) | \`${variable.env}\` | none | | ${cell(variable.help)} |`);
  }
  lines.push('', '## Environment variables', '', '| variable | flag | commands |', '| --- | --- | --- |');
  for (const [env, { flag, commands }] of variablesIndex())
    lines.push(`| \`${env}\` | ${flag} | ${commands.join(', ')} |`);
  return `${lines.join('\n')}\n`;
}

function settingRow(setting: Setting<unknown>): string {
  const accepts = setting.kind === 'switch' ? 'a switch' : setting.expected;
  return `| \`--${setting.flag}\` | \`${setting.env}\` | ${cell(formatDefault(setting))} | ${cell(accepts)} | ${cell(setting.help)} |`;
}

/** Every variable, sorted, with its flag and the commands that read it. */
function variablesIndex(): Array<[string, { flag: string; commands: string[] }]> {
  const index = new Map<string, { flag: string; commands: string[] }>();
  const add = (env: string, flag: string, command: string): void => {
    const entry = index.get(env) ?? { flag, commands: [] };
    entry.commands.push(command);
    index.set(env, entry);
  };
  for (const [name, spec] of Object.entries(COMMANDS)) {
    for (const setting of Object.values(spec.settings)) add(setting.env, `\`--${setting.flag}\``, name);
    for (const variable of spec.variables ?? []) add(variable.env, '(none)', name);
  }
  return [...index.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
