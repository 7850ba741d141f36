import { setMaxListeners } from 'node:events';
import { packageVersion } from '../core/config/version.js';
import { EXIT_USAGE } from '../core/errors/exit-codes.js';
import { ImageLoaderError } from '../core/errors/image-loader-error.js';
import { armStopWatchdog } from '../core/service/stop-watchdog.js';
import { usage } from './usage.js';

/**
 * The `image-loader` command: parses the subcommand, wires signals, and hands
 * over to the part that owns it. Nothing else lives here.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (
    command === undefined ||
    command === '--help' ||
    command === '-h' ||
    command === 'help' ||
    args.includes('--help')
  ) {
    process.stdout.write(usage(command === 'help' ? args[0] : command));
    return command === undefined ? EXIT_USAGE : 0;
  }

  const stop = new AbortController();
  // Every download in flight and every retry waiting its turn listens to this signal: their number
  // follows the list and the concurrency, so the default leak warning at 10 listeners would be noise.
  setMaxListeners(0, stop.signal);
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${name} again: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(`${name}: stopping after cleaning up (send it again to exit at once)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const io = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    signal: stop.signal,
  };
  try {
    switch (command) {
      case 'fetch': {
        // Loaded on demand: undici and the download core cost ~70 ms of start-up that --version and --help need not pay.
        const { parseFetchArgs, runFetch } = await import('../fetch/fetch-command.js');
        return await runFetch(parseFetchArgs(args, process.env), io);
      }
      case 'worker': {
        const { parseWorkerArgs, runWorker } = await import('../worker/worker-command.js');
        return await runWorker(parseWorkerArgs(args, process.env), io);
      }
      case 'coordinator': {
        const { parseCoordinatorArgs, runCoordinator } = await import('../coordinator/coordinator-command.js');
        return await runCoordinator(parseCoordinatorArgs(args, process.env), io);
      }
      case 'web': {
        const { parseWebArgs, runWeb } = await import('../web/web-command.js');
        return await runWeb(parseWebArgs(args, process.env), io);
      }
      case 'round': {
        // Operator commands have no work to hand back: a signal ends them at once (after the slack for closing).
        armStopWatchdog(stop.signal, 0);
        const { parseRoundArgs, runRoundCommand } = await import('../coordinator/round-command.js');
        return await runRoundCommand(parseRoundArgs(args, process.env), io);
      }
      case 'status': {
        armStopWatchdog(stop.signal, 0);
        const { parseStatusArgs, runStatus } = await import('../coordinator/status-command.js');
        return await runStatus(parseStatusArgs(args, process.env), io);
      }
      case 'prune': {
        const { parsePruneArgs, runPrune } = await import('../coordinator/prune-command.js');
        return await runPrune(parsePruneArgs(args, process.env), io);
      }
      case 'dashboard': {
        const { parseDashboardArgs, runDashboard } = await import('../coordinator/dashboard/dashboard-command.js');
        return await runDashboard(parseDashboardArgs(args, process.env), io);
      }
      default:
        process.stderr.write(`image-loader: unknown command "${command}"\n\n${usage()}`);
        return EXIT_USAGE;
    }
  } catch (error) {
    if (error instanceof ImageLoaderError) {
      process.stderr.write(`image-loader: ${error.code}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** How long an exiting process waits for its output to reach a reader that is slow to take it. */
const OUTPUT_FLUSH_MS = 5_000;

/** Resolves once everything written to `stream` so far has been handed to the OS (pipes are written asynchronously). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, OUTPUT_FLUSH_MS).unref();
    stream.write('', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

main(process.argv.slice(2)).then(
  async (code) => {
    process.exitCode = code;
    // A command that has returned has closed what it owns: a library's leftover timer (ioredis waiting to
    // reconnect to a Redis that is down, or to time out a command it gave up on) must not keep the process.
    // Its output goes first: process.exit drops what a pipe has not taken yet (a large --json summary).
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`image-loader: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  },
);
