import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../harness/scratch-dir.js';

// The shipped files in nfs/: the web node's mount pair, the worker hosts' drop-in, the fstab
// lines and the central host's export. Checked with the tools that will read them on a real host
// (systemd's own parser and fstab generator, nfs-utils' exportfs), not by pattern matching.
const NFS = new URL('../../../nfs/', import.meta.url).pathname;
const MOUNT = 'srv-image\\x2dloader-store.mount';
const AUTOMOUNT = 'srv-image\\x2dloader-store.automount';
const DROP_IN = join('worker', `${MOUNT}.d`, 'read-write.conf');

function available(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

const FSTAB_GENERATOR = [
  '/lib/systemd/system-generators/systemd-fstab-generator',
  '/usr/lib/systemd/system-generators/systemd-fstab-generator',
].find((path) => existsSync(path));
// exportfs comes with nfs-kernel-server, which .ci/run does not install (its postinst starts
// rpcbind and statd). IMAGE_LOADER_TEST_EXPORTFS may name a copy unpacked from the package.
const EXPORTFS = process.env.IMAGE_LOADER_TEST_EXPORTFS ?? (available('exportfs') ? 'exportfs' : undefined);

const skipVerify = available('systemd-analyze') ? false : 'systemd-analyze is not installed (it comes with systemd)';
const skipGenerator =
  skipVerify || (FSTAB_GENERATOR ? false : 'systemd-fstab-generator is not installed (it comes with systemd)');
const skipExports = !EXPORTFS
  ? 'exportfs is not installed (apt-get install nfs-kernel-server, or set IMAGE_LOADER_TEST_EXPORTFS to an unpacked copy)'
  : process.getuid?.() !== 0
    ? 'needs root (a mount namespace with /etc, /var/lib and /srv overlaid, so exportfs reads the shipped file and writes nothing outside)'
    : spawnSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt']).status !== 0
      ? 'unshare --mount with a tmpfs mount failed here'
      : false;
const skipNfsConf = available('nfsconf') ? false : 'nfsconf is not installed (it comes with nfs-common)';
for (const [what, reason] of [
  ['the mount unit checks', skipVerify],
  ['the fstab check', skipGenerator],
  ['the exports check', skipExports],
  ['the nfs.conf check', skipNfsConf],
] as const) {
  if (reason) process.stdout.write(`# skipping ${what}: ${reason}\n`);
}

/** `systemd-analyze verify` as a gate: it exits 0 on some problems (an unknown key, an unparsable value) and only prints them, so any output counts as a failure too. */
function verify(
  paths: string[],
  options: { man?: boolean } = {},
): { ok: boolean; output: string; result: SpawnSyncReturns<string> } {
  const result = spawnSync('systemd-analyze', ['verify', ...(options.man === false ? ['--man=no'] : []), ...paths], {
    encoding: 'utf8',
  });
  const output = `${result.stdout}${result.stderr}`.trim();
  return { ok: result.status === 0 && output === '', output, result };
}

/** The settings of a unit file, by "Section.Key"; a repeated key keeps its last value, as systemd does for these. */
function unitSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  let section = '';
  for (const line of text.split('\n').map((raw) => raw.trim())) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1]!;
    else settings.set(`${section}.${line.slice(0, line.indexOf('='))}`, line.slice(line.indexOf('=') + 1));
  }
  return settings;
}

async function settingsOf(path: string): Promise<Map<string, string>> {
  return unitSettings(await readFile(path, 'utf8'));
}

/** Mount options that reach mount.nfs: the x-systemd.* ones are systemd's own. */
function nfsOptions(options: string): string[] {
  return options.split(',').filter((option) => !option.startsWith('x-systemd.'));
}

/** A directory holding the web node's pair, and with `worker` the read-write drop-in beside them, as in /etc/systemd/system. */
async function installedCopy(dir: string, worker = false): Promise<string> {
  await mkdir(dir, { recursive: true });
  await copyFile(join(NFS, MOUNT), join(dir, MOUNT));
  await copyFile(join(NFS, AUTOMOUNT), join(dir, AUTOMOUNT));
  if (worker) await cp(join(NFS, 'worker'), dir, { recursive: true });
  return dir;
}

describe('the store mount units (nfs/)', { skip: skipVerify }, () => {
  it('the web node pair passes systemd-analyze verify without a warning: ro, hard, NFSv4.2, positive lookups only', async () => {
    const dir = await tempDir();
    try {
      const etc = await installedCopy(join(dir.path, 'web'));
      const checked = verify([join(etc, MOUNT), join(etc, AUTOMOUNT)]);
      assert.ok(checked.ok, `systemd-analyze verify: exit ${checked.result.status}\n${checked.output}`);
      const mount = await settingsOf(join(etc, MOUNT));
      assert.equal(mount.get('Mount.Where'), '/srv/image-loader/store');
      assert.equal(mount.get('Mount.Type'), 'nfs');
      const options = mount.get('Mount.Options')!.split(',');
      for (const option of [
        'ro',
        'nfsvers=4.2',
        'hard',
        'lookupcache=positive',
        'nofail',
        '_netdev',
        'nosuid',
        'nodev',
        'noexec',
      ]) {
        assert.ok(options.includes(option), `${option} in ${options.join(',')}`);
      }
      assert.ok(!options.includes('soft') && !options.includes('rw'));
      const automount = await settingsOf(join(etc, AUTOMOUNT));
      assert.equal(automount.get('Automount.Where'), mount.get('Mount.Where'));
    } finally {
      await dir.remove();
    }
  });

  it('with the worker drop-in beside it, the same mount read-write (and nothing else changed) still verifies cleanly', async () => {
    const dir = await tempDir();
    try {
      const etc = await installedCopy(join(dir.path, 'worker'), true);
      const checked = verify([join(etc, MOUNT), join(etc, AUTOMOUNT)]);
      assert.ok(checked.ok, `systemd-analyze verify: exit ${checked.result.status}\n${checked.output}`);
      // The drop-in is read: a typo in it is reported against the drop-in's path.
      const dropIn = join(etc, `${MOUNT}.d`, 'read-write.conf');
      await writeFile(dropIn, (await readFile(dropIn, 'utf8')).replace('ReadWriteOnly=yes', 'ReadWriteOnly=perhaps'));
      assert.match(verify([join(etc, MOUNT)]).output, /read-write\.conf:\d+: Failed to parse boolean value/);

      const web = (await settingsOf(join(NFS, MOUNT))).get('Mount.Options')!;
      const worker = await settingsOf(join(NFS, DROP_IN));
      assert.equal(
        worker.get('Mount.Options'),
        web.replace(/^ro,/, 'rw,'),
        'the worker options are the web options with rw for ro',
      );
      assert.equal(worker.get('Mount.ReadWriteOnly'), 'yes');
    } finally {
      await dir.remove();
    }
  });

  it('fails on broken copies: the unescaped name, a missing What=, a misspelled key', async () => {
    const dir = await tempDir();
    try {
      const text = await readFile(join(NFS, MOUNT), 'utf8');
      // The name an operator would guess for /srv/image-loader/store; systemd escapes the "-" in
      // "image-loader" as \x2d, and refuses a unit whose Where= does not match its name.
      const unescaped = join(dir.path, 'srv-image-loader-store.mount');
      await writeFile(unescaped, text);
      const byName = verify([unescaped]);
      assert.notEqual(byName.result.status, 0);
      assert.match(byName.output, /Where= setting doesn't match unit name/);

      await mkdir(join(dir.path, 'no-what'));
      await writeFile(join(dir.path, 'no-what', MOUNT), text.replace(/^What=.*$/m, ''));
      const noWhat = verify([join(dir.path, 'no-what', MOUNT)]);
      assert.notEqual(noWhat.result.status, 0);
      assert.match(noWhat.output, /What= setting is missing/);

      // systemd only warns about this one (exit 0), and the mount would run without its options.
      await mkdir(join(dir.path, 'typo'));
      await writeFile(join(dir.path, 'typo', MOUNT), text.replace(/^Options=/m, 'Option='));
      const typo = verify([join(dir.path, 'typo', MOUNT)]);
      assert.equal(typo.ok, false);
      assert.match(typo.output, /Unknown key 'Option'/);
    } finally {
      await dir.remove();
    }
  });

  it('the fstab lines make systemd-fstab-generator write the same mount and its automount', {
    skip: skipGenerator,
  }, async () => {
    const dir = await tempDir();
    try {
      for (const [name, expected] of [
        ['web', join(NFS, MOUNT)],
        ['worker', join(NFS, DROP_IN)],
      ] as const) {
        const out = join(dir.path, name);
        await mkdir(out);
        const generated = spawnSync(FSTAB_GENERATOR!, [out, out, out], {
          encoding: 'utf8',
          env: {
            ...process.env,
            SYSTEMD_FSTAB: join(NFS, `fstab.${name}`),
            SYSTEMD_PROC_CMDLINE: '',
            SYSTEMD_LOG_LEVEL: 'warning',
          },
        });
        assert.equal(generated.status, 0, generated.stderr);
        assert.equal(generated.stderr.trim(), '', `generator warnings for fstab.${name}`);
        const mount = await settingsOf(join(out, MOUNT));
        const base = await settingsOf(join(NFS, MOUNT));
        const ours = await settingsOf(expected);
        for (const key of ['Mount.What', 'Mount.Where', 'Mount.Type'])
          assert.equal(mount.get(key), base.get(key), `${name}: ${key}`);
        assert.equal(mount.get('Mount.TimeoutSec'), `${base.get('Mount.TimeoutSec')}s`);
        assert.deepEqual(
          nfsOptions(mount.get('Mount.Options')!),
          nfsOptions(ours.get('Mount.Options') ?? base.get('Mount.Options')!),
          `${name}: options`,
        );
        assert.equal(mount.get('Mount.ReadWriteOnly'), ours.get('Mount.ReadWriteOnly'));
        const automount = await settingsOf(join(out, AUTOMOUNT));
        assert.equal(automount.get('Automount.Where'), '/srv/image-loader/store');
        assert.equal(automount.get('Automount.TimeoutIdleSec'), 'infinity');
        assert.equal(
          await readlink(join(out, 'remote-fs.target.wants', AUTOMOUNT)),
          `../${AUTOMOUNT}`,
          'the automount, not the mount, is what boot pulls in',
        );
        // The generated units name man pages in Documentation=, which minimal images leave out.
        const checked = verify([join(out, MOUNT), join(out, AUTOMOUNT)], { man: false });
        assert.ok(checked.ok, `${name}: ${checked.output}`);
      }
    } finally {
      await dir.remove();
    }
  });
});

/** `exportfs -ra` then `exportfs -v` on `exportsFile` installed as /etc/exports.d/image-loader.exports, in a mount namespace where /etc, /var/lib and /srv are throwaway overlays: the host's files are read, never written. */
function exportTable(exportsFile: string, scratch: string): { status: number | null; stdout: string; stderr: string } {
  const script = [
    'set -e',
    'mount -t tmpfs tmpfs "$1"',
    'for d in etc var/lib; do mkdir -p "$1/$d-upper" "$1/$d-work"; mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/$d-upper,workdir=$1/$d-work" "/$d"; done',
    'mkdir -p "$1/srv" && mount --bind "$1/srv" /srv',
    'mkdir -p /etc/exports.d /var/lib/nfs /srv/image-loader/store',
    ': > /etc/exports',
    'cp "$2" /etc/exports.d/image-loader.exports',
    '"$3" -ra',
    '"$3" -v',
  ].join('\n');
  return spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', scratch, exportsFile, EXPORTFS!],
    { encoding: 'utf8' },
  );
}

/** Each client's options in `exportfs -v`, and its access: the flags after sec=, which are the ones the server applies. */
function clients(table: string): Map<string, { options: string[]; access: 'ro' | 'rw' | undefined }> {
  const found = new Map<string, { options: string[]; access: 'ro' | 'rw' | undefined }>();
  for (const match of table.matchAll(/(\S+)\(([^)]*)\)/g)) {
    const options = match[2]!.split(',');
    const flavor = options.slice(options.findIndex((option) => option.startsWith('sec=')));
    found.set(match[1]!, { options, access: flavor.includes('rw') ? 'rw' : flavor.includes('ro') ? 'ro' : undefined });
  }
  return found;
}

describe('the export (nfs/exports), as exportfs reads it', { skip: skipExports }, () => {
  it('web nodes read-only, the worker host read-write, every client squashed to 2950:2950, sync, a fixed fsid', async () => {
    const dir = await tempDir();
    try {
      await mkdir(join(dir.path, 'ns'));
      const table = exportTable(join(NFS, 'exports'), join(dir.path, 'ns'));
      assert.equal(table.status, 0, table.stderr);
      assert.equal(table.stderr.trim(), '', 'exportfs warnings');
      assert.match(table.stdout, /^\/srv\/image-loader\/store\s/m);
      const found = clients(table.stdout);
      assert.deepEqual([...found.keys()].sort(), ['10.0.0.11', '10.0.0.21', '10.0.0.22']);
      assert.equal(found.get('10.0.0.21')!.access, 'ro');
      assert.equal(found.get('10.0.0.22')!.access, 'ro');
      assert.equal(found.get('10.0.0.11')!.access, 'rw');
      for (const [client, { options }] of found) {
        for (const option of ['all_squash', 'anonuid=2950', 'anongid=2950', 'sync', 'no_subtree_check', 'fsid=2950']) {
          assert.ok(options.includes(option), `${client}: ${option} in ${options.join(',')}`);
        }
      }
    } finally {
      await dir.remove();
    }
  });

  it('catches the trap the comments warn about: sec=sys in the default options leaves the worker host read-only', async () => {
    const dir = await tempDir();
    try {
      await mkdir(join(dir.path, 'ns'));
      const broken = join(dir.path, 'broken.exports');
      await writeFile(
        broken,
        (await readFile(join(NFS, 'exports'), 'utf8')).replace('fsid=2950 \\', 'fsid=2950,sec=sys \\'),
      );
      const table = exportTable(broken, join(dir.path, 'ns'));
      assert.equal(table.status, 0, table.stderr);
      assert.equal(clients(table.stdout).get('10.0.0.11')!.access, 'ro');
    } finally {
      await dir.remove();
    }
  });
});

describe('the NFS server settings (nfs/nfs.conf.d/image-loader.conf)', { skip: skipNfsConf }, () => {
  it('nfs-utils reads them as NFSv4.1/4.2 only, TCP only', () => {
    const get = (name: string): string => {
      const result = spawnSync(
        'nfsconf',
        ['--file', join(NFS, 'nfs.conf.d', 'image-loader.conf'), '--get', 'nfsd', name],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 0, `nfsconf --get nfsd ${name}: ${result.stderr}`);
      return result.stdout.trim();
    };
    assert.deepEqual(
      ['vers3', 'vers4', 'vers4.0', 'vers4.1', 'vers4.2', 'udp', 'tcp'].map((name) => `${name}=${get(name)}`),
      ['vers3=n', 'vers4=y', 'vers4.0=n', 'vers4.1=y', 'vers4.2=y', 'udp=n', 'tcp=y'],
    );
  });
});
