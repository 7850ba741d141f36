// The image origin of an isolated network (see isolated-network.ts), run
// inside that network namespace on every address of its loopback
// interface. The test drives it over stdin/stdout, one JSON object a line:
// {id, op: 'set', path, behavior} | {id, op: 'stats'} | {id, op: 'reset-stats'}.
import { createInterface } from 'node:readline';
import { type Behavior, startImageOrigin } from './image-origin.js';
import { reviveBuffers } from './json-buffers.js';

// '::' takes IPv4 connections too (as ::ffff:a.b.c.d): one port on every address of the namespace.
const origin = await startImageOrigin({ host: '::' });
process.stdout.write(`${JSON.stringify({ msg: 'origin listening', port: origin.port })}\n`);

interface Command {
  id: number;
  op: 'set' | 'stats' | 'reset-stats';
  path?: string;
  behavior?: Behavior;
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line, reviveBuffers) as Command;
  if (command.op === 'set') origin.set(command.path!, command.behavior!);
  if (command.op === 'reset-stats') origin.resetStats();
  const stats =
    command.op === 'stats' ? { requests: origin.stats.requests, byPath: Object.fromEntries(origin.stats.byPath) } : {};
  process.stdout.write(`${JSON.stringify({ id: command.id, ...stats })}\n`);
}
await origin.close();
