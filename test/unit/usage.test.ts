import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../cli/commands.js';
import { usage } from '../../cli/usage.js';

describe('--help', () => {
  test('shows the default of every option of every command, from the table', () => {
    for (const [name, spec] of Object.entries(COMMANDS)) {
      const options = usage(name)
        .split('\n')
        .filter((line) => line.startsWith('  --'));
      assert.equal(options.length, Object.keys(spec.settings).length, name);
      for (const line of options)
        assert.match(line, /\(default: [^)]+\) \[IMAGE_LOADER_[A-Z_]+\]$/, `${name}: ${line}`);
    }
  });

  test('writes defaults the way the settings accept them', () => {
    const cases: Array<[command: string, flag: string, shown: string]> = [
      ['fetch', '--per-host', '(default: 8)'],
      ['fetch', '--max-bytes', '(default: 50MiB)'],
      ['fetch', '--timeout', '(default: 1m)'],
      ['fetch', '--every', '(default: none: one round, then exit)'],
      ['fetch', '--allow-svg', '(default: off)'],
      ['fetch', '--user-agent', '(default: image-loader/VERSION)'],
      ['coordinator', '--every', '(default: 5m)'],
      ['coordinator', '--list', '(default: none: required)'],
      ['worker', '--stop-timeout', '(default: 30s)'],
      ['web', '--every', '(default: 5m)'],
      ['dashboard', '--host', '(default: 127.0.0.1)'],
      ['status', '--redis', '(default: redis://127.0.0.1:6379)'],
    ];
    for (const [command, flag, shown] of cases) {
      const line = usage(command)
        .split('\n')
        .find((text) => text.startsWith(`  ${flag} `));
      assert.ok(line?.includes(shown), `${command} ${flag}: ${line}`);
    }
  });

  test('help texts leave the default to the table', () => {
    for (const [name, spec] of Object.entries(COMMANDS))
      for (const setting of Object.values(spec.settings))
        assert.doesNotMatch(setting.help, /\(default/, `${name} --${setting.flag}`);
  });
});
