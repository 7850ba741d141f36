import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';

/** One simulated host: a network namespace with one address on the simulated LAN. */
export interface SimHost {
  /** The network namespace's name (unique to this run). */
  ns: string;
  address: string;
}

/**
 * Simulated hosts on one private LAN: a network namespace per host, each
 * linked by a veth pair to a bridge that lives in a namespace of its own
 * (the "switch"). Nothing is created in the host namespace and nothing is
 * routed to it: an address of this LAN asked from the host namespace would
 * leave the machine, so every client runs inside one of these namespaces.
 */
export interface SimNetwork<Name extends string> {
  hosts: Record<Name, SimHost>;
  /** The argv that runs `argv` inside a host's network namespace. */
  exec(name: Name, argv: string[]): string[];
  /** Deletes every namespace (and with them the bridge and veths). Kill the processes inside first: a namespace lives on while a process is in it. */
  remove(): void;
}

/** Names of this test's namespaces: `ilsim-PID-RANDOM-host`, so parallel and leftover runs never clash. */
const NAME_PREFIX = 'ilsim-';

export function ipNetnsMissing(): string | false {
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `\`ip netns\` does not work here: ${probe.error?.message ?? probe.stderr.trim()} (apt-get install iproute2)`;
  return false;
}

/**
 * Creates the LAN: host i gets `${subnet}.${i + 1}/24` in the order of `names`.
 * On any failure it removes what it made and throws.
 */
export function createSimNetwork<Name extends string>(names: readonly Name[], subnet: string): SimNetwork<Name> {
  removeLeftovers();
  const run = `${NAME_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
  const hub = `${run}-hub`;
  const hosts = Object.fromEntries(
    names.map((name, i) => [name, { ns: `${run}-${name}`, address: `${subnet}.${i + 1}` }]),
  ) as Record<Name, SimHost>;
  const created: string[] = [];
  const remove = (): void => {
    for (const ns of created.splice(0).reverse()) spawnSync('ip', ['netns', 'delete', ns]);
  };
  try {
    ip('netns', 'add', hub);
    created.push(hub);
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', hub, 'link', 'set', 'br0', 'up');
    names.forEach((name, i) => {
      const { ns, address } = hosts[name];
      ip('netns', 'add', ns);
      created.push(ns);
      // Both ends are made where they live (hub and host namespace): no interface ever appears in the host namespace.
      ip('-n', hub, 'link', 'add', `port${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('-n', hub, 'link', 'set', `port${i}`, 'master', 'br0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    });
  } catch (error) {
    remove();
    throw error;
  }
  return {
    hosts,
    exec: (name, argv) => ['ip', 'netns', 'exec', hosts[name].ns, ...argv],
    remove,
  };
}

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`ip ${args.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`);
}

/**
 * Namespaces of earlier runs whose test process is gone (killed before its
 * cleanup ran), with the processes that run still has in them: each was
 * started by that run, in that namespace.
 */
function removeLeftovers(): void {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return;
  }
  for (const ns of names) {
    const pid = /^ilsim-(\d+)-[0-9a-f]+-/.exec(ns)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    const inside = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
    for (const leftover of inside.split('\n').filter((line) => /^\d+$/.test(line))) {
      try {
        process.kill(Number(leftover), 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    spawnSync('ip', ['netns', 'delete', ns]);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
