import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { type GroupProcess, startGroupProcess } from './group-process.js';
import type { Behavior } from './origin/image-origin.js';
import { tempDir } from './scratch-dir.js';

const ORIGIN_MAIN = new URL('./origin/isolated-origin-main.js', import.meta.url).pathname;

export interface IsolatedNetworkOptions {
  /** Addresses put on the namespace's loopback interface besides 127.0.0.1 and ::1 (private ones, and stand-ins for public ones). */
  addresses: string[];
  /** The namespace's /etc/hosts, as [address, name] pairs (localhost is always there). */
  hosts: Array<[address: string, name: string]>;
}

/** What the origin inside the namespace has seen. */
export interface IsolatedOriginStats {
  requests: number;
  byPath: Record<string, number>;
}

/**
 * A network namespace with nothing but a loopback interface, seen through a
 * mount namespace whose /etc/hosts is the test's and whose nsswitch.conf
 * resolves names from that file only. Every address a test names, private or
 * "public", is on that loopback, served by one image origin on one port: a
 * request that got past the SSRF guard reaches the origin and is counted,
 * and a packet for any other address fails with ENETUNREACH. Nothing can
 * leave the machine, and no name is ever asked of DNS.
 */
export interface IsolatedNetwork {
  /** The origin's port, the same on every address. */
  port: number;
  /** The argv prefix that runs a command inside both namespaces (it execs in place). */
  prefix: string[];
  set(path: string, behavior: Behavior): Promise<void>;
  stats(): Promise<IsolatedOriginStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

/** Why an isolated network cannot be made here, or false when it can. */
export function isolatedNetworkMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (unshare --net --mount, bind mounts over /etc/hosts)';
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (util-linux, iproute2)`;
  }
  const probe = spawnSync(
    'unshare',
    [
      '--net',
      '--mount',
      'sh',
      '-c',
      'ip link set lo up && ip -6 addr add fd00::1/128 dev lo && mount --bind /etc/hosts /etc/hosts',
    ],
    { encoding: 'utf8' },
  );
  return probe.status === 0
    ? false
    : `unshare --net --mount with an IPv6 address on lo failed here: ${probe.stderr.trim()}`;
}

export async function startIsolatedNetwork(options: IsolatedNetworkOptions): Promise<IsolatedNetwork> {
  const dir = await tempDir('image-loader-isolated-');
  const hostsFile = join(dir.path, 'hosts');
  const nsswitchFile = join(dir.path, 'nsswitch.conf');
  await writeFile(
    hostsFile,
    ['127.0.0.1 localhost', '::1 localhost', ...options.hosts.map(([address, name]) => `${address} ${name}`), ''].join(
      '\n',
    ),
  );
  // Files only: a name missing from the hosts file is "not found" at once, never a DNS query.
  await writeFile(nsswitchFile, 'hosts: files\n');
  const setup = [
    'set -e',
    'ip link set lo up',
    ...options.addresses.map((address) =>
      isIPv6(address) ? `ip -6 addr add ${address}/128 dev lo` : `ip addr add ${address}/32 dev lo`,
    ),
    `mount --bind "${hostsFile}" /etc/hosts`,
    `mount --bind "${nsswitchFile}" /etc/nsswitch.conf`,
    `exec "${process.execPath}" "${ORIGIN_MAIN}"`,
  ].join('\n');
  let origin: GroupProcess | undefined;
  try {
    origin = startGroupProcess('the isolated origin', ['unshare', '--net', '--mount', 'sh', '-c', setup]);
    const [, port] = await origin.waitForOutput(/"origin listening","port":(\d+)/, 10_000, 'origin listening line');
    const control = commandChannel(origin);
    return {
      port: Number(port),
      prefix: ['nsenter', `--target=${origin.pid}`, '--net', '--mount', '--'],
      set: async (path, behavior) => void (await control({ op: 'set', path, behavior })),
      stats: async () => (await control({ op: 'stats' })) as unknown as IsolatedOriginStats,
      resetStats: async () => void (await control({ op: 'reset-stats' })),
      close: async () => {
        origin!.child.stdin!.end();
        await origin!.stop(2_000);
        await dir.remove();
      },
    };
  } catch (error) {
    await origin?.stop(1_000);
    await dir.remove();
    throw error;
  }
}

/** Request/answer over the origin process's stdin/stdout, matched by id. */
function commandChannel(origin: GroupProcess): (command: Record<string, unknown>) => Promise<Record<string, unknown>> {
  const waiting = new Map<number, (answer: Record<string, unknown>) => void>();
  let nextId = 1;
  let buffered = '';
  origin.child.stdout!.on('data', (text: string) => {
    buffered += text;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const answer = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      if (typeof answer.id === 'number') {
        waiting.get(answer.id)?.(answer);
        waiting.delete(answer.id);
      }
    }
  });
  return (command) =>
    new Promise((resolve, reject) => {
      if (origin.child.exitCode !== null) {
        reject(new Error(`the isolated origin exited: ${origin.output().stderr.slice(-2000)}`));
        return;
      }
      const id = nextId++;
      waiting.set(id, resolve);
      origin.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
}
