import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/**
 * An investigation aid, not part of any scenario: preloaded into a fleet
 * process, it times every ioredis command from send to reply (as the
 * process sees it, its own event-loop delay included) and writes a table
 * to `$BENCH_REDIS_TIMES_DIR/redis-times-PID.txt` at exit, with the event
 * loop's delay. It changes nothing of the code under test, so it is how
 * bench/RESULTS.md says where a fleet round's time goes:
 *
 *     BENCH_REDIS_TIMES_DIR=/tmp/t node --import ./dist/bench/redis-command-timer.js dist/cli/image-loader.cjs worker ...
 *
 * Scripts are told apart by their number of keys and the last segment of
 * their first key (BullMQ's and the fleet's are all EVALSHA). Patching at
 * import is the point of a preload; nothing imports this module otherwise.
 */
interface CommandTimes {
  calls: number;
  totalMs: number;
  maxMs: number;
}

interface TimedCommand {
  name: string;
  args: unknown[];
  promise: Promise<unknown>;
}

const outputDir = process.env.BENCH_REDIS_TIMES_DIR;
if (outputDir !== undefined && outputDir !== '') {
  const require = createRequire(import.meta.url);
  const { Redis } = require('ioredis') as {
    Redis: { prototype: { sendCommand(command: TimedCommand, stream?: unknown): unknown } };
  };
  const times = new Map<string, CommandTimes>();
  const original = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function timedSendCommand(
    this: unknown,
    command: TimedCommand,
    stream?: unknown,
  ): unknown {
    const started = performance.now();
    const name = commandLabel(command);
    const record = (): void => {
      const ms = performance.now() - started;
      const entry = times.get(name) ?? { calls: 0, totalMs: 0, maxMs: 0 };
      entry.calls++;
      entry.totalMs += ms;
      entry.maxMs = Math.max(entry.maxMs, ms);
      times.set(name, entry);
    };
    command.promise.then(record, record);
    return original.call(this, command, stream);
  };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.on('exit', () => {
    const rows = [...times]
      .sort((a, b) => b[1].totalMs - a[1].totalMs)
      .map(
        ([name, entry]) =>
          `${name.padEnd(36)} calls ${String(entry.calls).padStart(7)}  mean ${(entry.totalMs / entry.calls).toFixed(2)} ms  max ${entry.maxMs.toFixed(1)} ms  total ${(entry.totalMs / 1000).toFixed(2)} s`,
      );
    rows.push(
      `event loop delay (1 ms resolution): mean ${(loop.mean / 1e6).toFixed(2)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(2)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
    );
    writeFileSync(`${outputDir}/redis-times-${process.pid}.txt`, `${rows.join('\n')}\n`);
  });
}

function commandLabel(command: TimedCommand): string {
  if (command.name !== 'evalsha' && command.name !== 'eval') return command.name;
  const keys = Number(command.args[1]);
  const firstKey = keys > 0 ? String(command.args[2]) : '';
  return `${command.name}[${keys} keys, ${
    firstKey
      .split(':')
      .pop()
      ?.replace(/^u[0-9a-f]{40}$/, '<job id>') ?? ''
  }]`;
}
