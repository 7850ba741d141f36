import { coordinatorSettings } from '../coordinator/coordinator-settings.js';
import { dashboardSettings } from '../coordinator/dashboard/dashboard-settings.js';
import { roundCommandSettings, statusCommandSettings } from '../coordinator/operator-settings.js';
import { pruneCommandSettings } from '../coordinator/prune-command-settings.js';
import type { Setting } from '../core/config/setting.js';
import { fetchSettings } from '../fetch/fetch-settings.js';
import { webSettings } from '../web/web-settings.js';
import { workerSettings } from '../worker/worker-settings.js';

/** Each command's synopsis, what it does, and its settings table. */
const COMMANDS: Record<string, { synopsis: string; about: string[]; settings: Record<string, Setting<unknown>> }> = {
  fetch: {
    synopsis: 'image-loader fetch LIST [options]',
    about: [
      'Downloads every image named in LIST (a file with one URL a line, - for',
      'standard input, or an http(s):// URL) into the store, once, or every',
      '--every until stopped. No Redis.',
      'Exit code: 0 all stored or unchanged, 1 some failed, 2 usage error or unreadable list.',
    ],
    settings: fetchSettings,
  },
  coordinator: {
    synopsis: 'image-loader coordinator --list LIST [options]',
    about: [
      'Fleet mode: keeps the round schedule in Redis and, every --every, turns LIST into',
      'one download job per URL. Several may run (active/standby): one round per interval.',
      'Logs one JSON object a line on stdout. Runs until SIGTERM.',
    ],
    settings: coordinatorSettings,
  },
  worker: {
    synopsis: 'image-loader worker --store DIR [options]',
    about: [
      "Fleet mode: downloads the queue's jobs into the store (any number, on any host",
      'with the store mounted read-write). Logs one JSON object a line on stdout.',
      'SIGTERM: finishes running downloads (up to --stop-timeout), then exits 0.',
    ],
    settings: workerSettings,
  },
  web: {
    synopsis: 'image-loader web --store DIR [options]',
    about: [
      'Serves the store read-only over HTTP (every web node, on the NFS mount): images,',
      'listings (HTML or JSON), ?view=gallery, /healthz and /metrics. Runs until SIGTERM.',
    ],
    settings: webSettings,
  },
  round: {
    synopsis: 'image-loader round [options]',
    about: ['Fleet mode: starts a round now (or right after the one in progress).'],
    settings: roundCommandSettings,
  },
  status: {
    synopsis: 'image-loader status [options]',
    about: [
      'Fleet mode: the round in progress and the last completed one.',
      'Exit code: 0 last round without failures, 1 with some, 2 Redis unreachable.',
    ],
    settings: statusCommandSettings,
  },
  prune: {
    synopsis: 'image-loader prune --store DIR [--keep-replaced D] [--keep-delisted D] [--dry-run] [--json]',
    about: [
      'Removes from the store what the list no longer needs, as each complete round does:',
      'names of URLs absent from the last complete rounds for --keep-delisted, then versions',
      'no name links that have been unreferenced for --keep-replaced. Not capped by --max-delist.',
      'In fleet mode (--redis or IMAGE_LOADER_REDIS) it waits for a coordinator pruning meanwhile.',
      'Exit code: 0 done, 1 another prune held the lock, 2 usage error or unusable store.',
    ],
    settings: pruneCommandSettings,
  },
  dashboard: {
    synopsis: 'image-loader dashboard [--port 3000] [--host ADDR] [options]',
    about: [
      "Fleet mode: bull-board for the fleet's queues at /, and the round history with a chart",
      'at /rounds. Without credentials it listens on loopback only; with --user and',
      'IMAGE_LOADER_DASHBOARD_PASSWORD (no flag: it would show in ps) or --password-file it',
      'requires HTTP basic auth on every route. Read-only unless --allow-actions.',
      'Logs one JSON object a line on stdout. Runs until SIGTERM.',
    ],
    settings: dashboardSettings,
  },
};

/** Help text, generated from the settings tables so flags, variables and defaults cannot drift from the code. */
export function usage(command?: string): string {
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (spec) {
    return [
      `Usage: ${spec.synopsis}`,
      '',
      ...spec.about,
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
    '  fetch LIST     download every image in LIST into a local store (no Redis)',
    '  coordinator    fleet: schedule rounds and enqueue one job per URL',
    '  worker         fleet: download queued URLs into the store',
    '  web            serve the store read-only over HTTP (a web node)',
    '  round          fleet: start a round now',
    '  status         fleet: the round in progress and the last completed one',
    '  prune          remove replaced versions and delisted URLs from the store',
    '  dashboard      fleet: bull-board and the round history over HTTP',
    '',
    'image-loader <command> --help    options of a command',
    'image-loader --version',
    '',
  ].join('\n');
}

function describe(setting: Setting<unknown>): string {
  const flag = setting.kind === 'switch' ? `--${setting.flag}` : `--${setting.flag} VALUE`;
  return `  ${flag.padEnd(32)}${setting.help} [${setting.env}]`;
}
