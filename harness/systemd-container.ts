import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

export interface ContainerRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A booted container: shell commands run inside it as root, in all its namespaces. */
export interface SystemdContainer {
  /** The container's PID 1 (systemd) as this machine sees it. */
  pid: number;
  sh(script: string, timeoutMs?: number): Promise<ContainerRun>;
  stop(): Promise<void>;
}

/**
 * Units of the distribution that would act on the kernel or the hardware (sysctl, modules, udev, the
 * clock, binfmt, pstore) or that the test does not want (redis-server: the test runs its own). Masked
 * in the container, on top of the read-only /proc/sys and /sys and the dropped capabilities below.
 */
const MASKED = [
  'systemd-sysctl.service',
  'systemd-modules-load.service',
  'kmod-static-nodes.service',
  'systemd-udevd.service',
  'systemd-udev-trigger.service',
  'systemd-udev-settle.service',
  'systemd-timesyncd.service',
  'systemd-binfmt.service',
  'proc-sys-fs-binfmt_misc.automount',
  'systemd-pstore.service',
  'systemd-random-seed.service',
  'systemd-repart.service',
  'systemd-firstboot.service',
  'dev-hugepages.mount',
  'sys-kernel-debug.mount',
  'sys-kernel-tracing.mount',
  'sys-kernel-config.mount',
  'sys-fs-fuse-connections.mount',
  'redis-server.service',
];

/** Capabilities the container's systemd never gets: loading modules, setting the clock, raw I/O, accounting, MAC policy. */
const DROPPED_CAPABILITIES = [
  'sys_module',
  'sys_time',
  'sys_rawio',
  'sys_pacct',
  'mac_admin',
  'mac_override',
  'wake_alarm',
  'block_suspend',
];

/** The cgroup2 hierarchy to give the container a subtree of, or why there is none. */
function cgroup2Mount(): string | undefined {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  for (const line of mounts) {
    const [before, after] = line.split(' - ');
    if (after?.startsWith('cgroup2 ')) return before!.split(' ')[4];
  }
  return undefined;
}

export function systemdContainerMissing(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, an overlay root, systemd as PID 1 of its own)';
  if (existsSync('/run/systemd/system'))
    return 'this machine runs systemd: the units are meant to be tried on it directly, not in a second one';
  if (!existsSync('/lib/systemd/systemd')) return 'systemd is not installed (apt-get install systemd; .ci/run does)';
  if (cgroup2Mount() === undefined) return 'no cgroup2 hierarchy mounted (systemd needs one)';
  if (!/^0::\/$/m.test(readFileSync('/proc/self/cgroup', 'utf8')))
    return 'this process is not at the root of the cgroup2 hierarchy (another manager owns it)';
  const probe = spawnSync('unshare', [
    '--cgroup',
    '--pid',
    '--fork',
    '--mount',
    '--net',
    '--propagation',
    'private',
    'true',
  ]);
  if (probe.status !== 0)
    return `unshare of cgroup, PID, mount and network namespaces failed: ${probe.stderr?.toString().trim()}`;
  return false;
}

/**
 * Boots a throw-away Debian machine with systemd as its init, to run the packaged units for real on a
 * machine without a running systemd (as systemd-nspawn would, which is not installed here): systemd as
 * PID 1 of new PID, mount, UTS, IPC, network and cgroup namespaces, on an overlay of this machine's
 * root whose writes land in a tmpfs. It boots a target with no units of its own; tests start what they
 * need. Nothing reaches this machine: /proc/sys, /proc/sysrq-trigger and /sys are read-only, /dev holds
 * only the harmless nodes, the network namespace has only its own loopback, the capabilities to load
 * modules or set the clock are gone, the distribution's kernel-facing units are masked, and the cgroup
 * subtree it gets is removed afterwards.
 */
/** The repository's root (this file is dist/harness/systemd-container.js). */
const REPO_ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

export async function bootSystemdContainer(): Promise<SystemdContainer> {
  const hierarchy = cgroup2Mount()!;
  removeStaleCgroups(hierarchy);
  const layer = await mkdtemp(join(tmpdir(), 'image-loader-systemd-'));
  const cgroup = join(hierarchy, `image-loader-test-${process.pid}-${Date.now()}`);
  const boot = `
    set -e
    mount -t tmpfs -o mode=0700 tmpfs "$LAYER"
    mkdir "$LAYER/up" "$LAYER/work" "$LAYER/root"
    R="$LAYER/root"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$LAYER/up,workdir=$LAYER/work" "$R"
    mount -t proc proc "$R/proc"
    mount --bind "$R/proc/sys" "$R/proc/sys" && mount -o remount,bind,ro "$R/proc/sys"
    if [ -e "$R/proc/sysrq-trigger" ]; then mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger" && mount -o remount,bind,ro "$R/proc/sysrq-trigger"; fi
    mount -t sysfs -o ro sysfs "$R/sys"
    mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
    mount -t tmpfs -o mode=0755 tmpfs "$R/dev"
    for node in null zero full random urandom tty; do touch "$R/dev/$node"; mount --bind "/dev/$node" "$R/dev/$node"; done
    mkdir "$R/dev/pts" "$R/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
    ln -s pts/ptmx "$R/dev/ptmx"
    mount -t tmpfs tmpfs "$R/dev/shm"
    mount -t tmpfs tmpfs "$R/run"
    mount -t tmpfs tmpfs "$R/tmp"
    # The checkout (the .deb, the test helpers), read-only at the same path: it may live under /tmp, which is the container's own.
    mkdir -p "$R$REPO" && mount --bind "$REPO" "$R$REPO" && mount -o remount,bind,ro "$R$REPO"
    for unit in ${MASKED.join(' ')}; do ln -sf /dev/null "$R/etc/systemd/system/$unit"; done
    printf '[Unit]\\nDescription=image-loader test: nothing until the test starts it\\n' > "$R/etc/systemd/system/test-boot.target"
    exec chroot "$R" setpriv --bounding-set=${DROPPED_CAPABILITIES.map((cap) => `-${cap}`).join(',')} \\
      /usr/bin/env container=image-loader-test /lib/systemd/systemd --unit=test-boot.target --log-target=journal
  `;
  // The launcher moves itself into a fresh cgroup, which becomes the container's cgroup namespace root.
  const launcher = `mkdir "$CGROUP" && echo $$ > "$CGROUP/cgroup.procs" && exec unshare --cgroup --pid --fork --kill-child --mount --uts --ipc --net --propagation private sh -c "$BOOT"`;
  const child: ChildProcess = spawn('sh', ['-c', launcher], {
    env: { ...process.env, LAYER: layer, CGROUP: cgroup, BOOT: boot, REPO: REPO_ROOT },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let pid = 0;

  const stop = async (): Promise<void> => {
    // Killing PID 1 of a PID namespace kills every process in it; the mounts go with the mount namespace.
    if (pid) spawnSync('kill', ['-KILL', String(pid)]);
    child.kill('SIGKILL');
    await exited;
    removeCgroup(cgroup);
    await rm(layer, { recursive: true, force: true });
  };

  try {
    await waitFor(
      () => {
        const children = readFileSyncOr(`/proc/${child.pid}/task/${child.pid}/children`).trim();
        const candidate = Number(children.split(' ')[0]);
        if (candidate && readFileSyncOr(`/proc/${candidate}/comm`).trim() === 'systemd') pid = candidate;
        return pid !== 0 || child.exitCode !== null;
      },
      15_000,
      'systemd to start in the container',
    );
    if (!pid) throw new Error(`the container did not boot: ${output}`);
    const sh = (script: string, timeoutMs = 60_000): Promise<ContainerRun> =>
      new Promise((resolve) => {
        // A process group of its own: a script's `kill 0` (or a signal meant for its group) stays inside.
        const run = spawn(
          'nsenter',
          ['-t', String(pid), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', 'sh', '-c', script],
          { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
        );
        let stdout = '';
        let stderr = '';
        run.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
        run.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
        const timer = setTimeout(() => run.kill('SIGKILL'), timeoutMs);
        run.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    let state = '';
    await waitFor(
      async () => {
        state = (await sh('systemctl is-system-running 2>&1 || true')).stdout.trim();
        return state === 'running' || state === 'degraded';
      },
      30_000,
      'the container to finish booting',
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last state: ${state}; ${output})`);
    });
    return { pid, sh, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Cgroups left by a test process that was killed before it could clean up (its PID is in the name). */
function removeStaleCgroups(hierarchy: string): void {
  for (const name of readdirSync(hierarchy)) {
    const owner = /^image-loader-test-(\d+)-\d+$/.exec(name)?.[1];
    if (owner !== undefined && !existsSync(`/proc/${owner}`)) {
      try {
        removeCgroup(join(hierarchy, name));
      } catch {
        // Still in use after all: leave it.
      }
    }
  }
}

/** The container's cgroups, deepest first (they are empty once its processes are gone). */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(path, entry.name));
  }
  try {
    rmdirSync(path);
  } catch {
    // A process still exiting keeps it busy for a moment.
    spawnSync('sleep', ['0.2']);
    rmdirSync(path);
  }
}
