import { coordinatorSettings } from '../coordinator/coordinator-settings.js';
import { DASHBOARD_PASSWORD_ENV, dashboardSettings } from '../coordinator/dashboard/dashboard-settings.js';
import { roundCommandSettings, statusCommandSettings } from '../coordinator/operator-settings.js';
import { pruneCommandSettings } from '../coordinator/prune-command-settings.js';
import type { Setting } from '../core/config/setting.js';
import { fetchSettings } from '../fetch/fetch-settings.js';
import { webSettings } from '../web/web-settings.js';
import { workerSettings } from '../worker/worker-settings.js';

/** One command as help and the reference describe it. */
export interface CommandSpec {
  synopsis: string;
  /** One line for the list of commands. */
  summary: string;
  /** What it does and anything its settings table cannot say, as help prints it (one entry a line). */
  about: string[];
  exitCodes: string;
  settings: Record<string, Setting<unknown>>;
  /** Variables with no flag (and so no row in the settings table). */
  variables?: Array<{ env: string; help: string }>;
}

/** Every command's synopsis, what it does, and its settings table: the one source of help and docs/reference.md. */
export const COMMANDS: Record<string, CommandSpec> = {
  fetch: {
    summary: 'download every image in LIST into a local store (no Redis)',
    synopsis: 'image-loader fetch LIST [options]',
    about: [
      'Downloads every image named in LIST (a file with one URL a line, - for',
      'standard input, or an http(s):// URL) into the store, once, or every',
      '--every until stopped (then exit code 0). No Redis.',
    ],
    exitCodes: '0 all stored or unchanged, 1 some failed, 2 usage error, unreadable list or unusable store.',
    settings: fetchSettings,
  },
  coordinator: {
    summary: 'fleet: schedule rounds and enqueue one job per URL',
    synopsis: 'image-loader coordinator --list LIST [options]',
    about: [
      'Fleet mode: keeps the round schedule in Redis and, every --every, turns LIST into',
      'one download job per URL. Several may run (active/standby): one round per interval.',
      'Logs one JSON object a line on stdout. Runs until SIGTERM.',
    ],
    exitCodes: '0 after SIGTERM/SIGINT, 2 for a bad setting or an unusable store.',
    settings: coordinatorSettings,
  },
  worker: {
    summary: 'fleet: download queued URLs into the store',
    synopsis: 'image-loader worker --store DIR [options]',
    about: [
      "Fleet mode: downloads the queue's jobs into the store (any number, on any host",
      'with the store mounted read-write). Logs one JSON object a line on stdout.',
      'SIGTERM: finishes running downloads (up to --stop-timeout), then exits 0.',
    ],
    exitCodes: '0 after SIGTERM/SIGINT, 2 for a bad setting or an unusable store.',
    settings: workerSettings,
  },
  web: {
    summary: 'serve the store read-only over HTTP (a web node)',
    synopsis: 'image-loader web --store DIR [options]',
    about: [
      'Serves the store read-only over HTTP (every web node, on the NFS mount): images,',
      'listings (HTML or JSON), ?view=gallery, /healthz and /metrics. Runs until SIGTERM.',
    ],
    exitCodes: '0 after SIGTERM/SIGINT, 2 for a bad setting.',
    settings: webSettings,
  },
  round: {
    summary: 'fleet: start a round now',
    synopsis: 'image-loader round [options]',
    about: ['Fleet mode: starts a round now (or right after the one in progress).'],
    exitCodes:
      '0 requested (with --wait: completed without failures), 1 with --wait and some failures, 2 Redis unreachable.',
    settings: roundCommandSettings,
  },
  status: {
    summary: 'fleet: the round in progress and the last completed one',
    synopsis: 'image-loader status [options]',
    about: ['Fleet mode: the round in progress and the last completed one.'],
    exitCodes: '0 last round without failures, 1 with some, 2 Redis unreachable.',
    settings: statusCommandSettings,
  },
  prune: {
    summary: 'remove replaced versions and delisted URLs from the store',
    synopsis: 'image-loader prune --store DIR [--keep-replaced D] [--keep-delisted D] [--dry-run] [--json]',
    about: [
      'Removes from the store what the list no longer needs, as each complete round does:',
      'names of URLs absent from the last complete rounds for --keep-delisted, then versions',
      'no name links that have been unreferenced for --keep-replaced. Not capped by --max-delist.',
      'In fleet mode (--redis or IMAGE_LOADER_REDIS) it waits for a coordinator pruning meanwhile.',
    ],
    exitCodes: '0 done, 1 another prune held the lock, 2 usage error or unusable store.',
    settings: pruneCommandSettings,
  },
  dashboard: {
    summary: 'fleet: bull-board and the round history over HTTP',
    synopsis: 'image-loader dashboard [--port 3000] [--host ADDR] [options]',
    about: [
      "Fleet mode: bull-board for the fleet's queues at /, and the round history with a chart",
      'at /rounds. Without credentials it listens on loopback only; with --user and',
      'IMAGE_LOADER_DASHBOARD_PASSWORD (no flag: it would show in ps) or --password-file it',
      'requires HTTP basic auth on every route. Read-only unless --allow-actions.',
      'Logs one JSON object a line on stdout. Runs until SIGTERM.',
    ],
    exitCodes:
      '0 after SIGTERM/SIGINT; 2 for a bad setting, an unreadable or empty password file, or a port it cannot listen on.',
    variables: [
      {
        env: DASHBOARD_PASSWORD_ENV,
        help: 'Password for HTTP basic auth, instead of --password-file (no flag: it would show in ps).',
      },
    ],
    settings: dashboardSettings,
  },
};
