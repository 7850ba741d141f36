import { type ChildProcess, spawn } from 'node:child_process';

/** The compiled `image-loader` entry point (dist/cli/image-loader.cjs, which loads dist/cli/main.js). */
export const IMAGE_LOADER_CLI = new URL('../cli/image-loader.cjs', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed; `open` leaves stdin open for the test to write (`child.stdin`). */
  input?: string | { open: true };
  env?: Record<string, string>;
  /** Kill the process (SIGKILL) and fail after this long. @defaultValue 60000 */
  timeoutMs?: number;
  /** Run as this user and group, with no supplementary groups (needs root): permission faults root would not see. */
  user?: { uid: number; gid: number };
  /** An argv that runs the command in a namespace (nsenter ...): it must exec in place, so `child` is the CLI itself. */
  prefix?: string[];
}

/** A running `image-loader` process: a real child process, killed for real in fault tests. */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
}

export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, IMAGE_LOADER_CLI, ...args];
  const child = spawn(command!, rest, {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    // libuv drops supplementary groups when it switches ids, as `setpriv --clear-groups` does.
    ...(options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdin!.on('error', () => {});
  if (typeof options.input !== 'object') child.stdin!.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}
