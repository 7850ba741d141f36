import type { ChildProcess } from 'node:child_process';

/**
 * Every detached child that tests or the bench start (Redis, origins, tools
 * under test), so that however the process that started them ends (normal
 * exit, an error, SIGINT/SIGTERM) none is left running. Each is started
 * detached (its own process group), so the whole group is killed:
 * /usr/bin/time and the tool it runs.
 */
const children = new Set<ChildProcess>();
let installed = false;

export function trackChild(child: ChildProcess): void {
  installExitHooks();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Kills a child's process group (or the child alone if it has none), by its id. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/** SIGTERM (a clean stop), then SIGKILL to the group if it has not exited after `timeoutMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killChild(child, 'SIGTERM');
  const timer = setTimeout(() => killChild(child), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export function killAllChildren(): void {
  for (const child of children) killChild(child);
  children.clear();
}

function installExitHooks(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`harness: ${signal}, stopping child processes\n`);
      killAllChildren();
      process.exit(130);
    });
  }
}
