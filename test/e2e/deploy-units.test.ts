import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { coordinatorSettings } from '../../coordinator/coordinator-settings.js';
import { dashboardSettings } from '../../coordinator/dashboard/dashboard-settings.js';
import { parseDuration } from '../../core/config/parse-duration.js';
import type { Setting } from '../../core/config/setting.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { webSettings } from '../../web/web-settings.js';
import { workerSettings } from '../../worker/worker-settings.js';

const DEPLOY = new URL('../../../helm-free-deploy/', import.meta.url).pathname;
const STORE = '/srv/image-loader/store';

type Role = 'coordinator' | 'worker' | 'web' | 'dashboard';

/** What each unit must say, the deployment's decisions in one table. */
const UNITS: Record<
  Role,
  { file: string; instance: string; redis: boolean; readWrite: string[]; readOnly: string[]; needsStoreMount: boolean }
> = {
  coordinator: {
    file: 'image-loader-coordinator.service',
    instance: 'image-loader-coordinator.service',
    redis: true,
    readWrite: [`-${STORE}/.image-loader`],
    readOnly: [STORE],
    needsStoreMount: true,
  },
  worker: {
    file: 'image-loader-worker@.service',
    instance: 'image-loader-worker@1.service',
    redis: true,
    readWrite: [STORE],
    readOnly: [],
    needsStoreMount: true,
  },
  web: {
    file: 'image-loader-web.service',
    instance: 'image-loader-web.service',
    redis: false,
    readWrite: [],
    readOnly: [STORE],
    needsStoreMount: true,
  },
  dashboard: {
    file: 'image-loader-dashboard.service',
    instance: 'image-loader-dashboard.service',
    redis: true,
    readWrite: [],
    readOnly: [],
    needsStoreMount: false,
  },
};
const ROLES = Object.keys(UNITS) as Role[];

/** The sandbox every unit carries, whatever its role. */
const HARDENING: Record<string, string> = {
  NoNewPrivileges: 'yes',
  ProtectSystem: 'strict',
  ProtectHome: 'yes',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectControlGroups: 'yes',
  RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
  LockPersonality: 'yes',
  RestrictSUIDSGID: 'yes',
  CapabilityBoundingSet: '',
};

/** Section → key → every value given (a key may repeat), comments dropped. Unit files have no continuation lines here. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `not a unit file line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

function systemdAnalyzeMissing(): string | false {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return probe.status === 0
    ? false
    : 'systemd-analyze is not installed (apt-get install systemd; .ci/run does). It needs no running systemd';
}

const skipVerify = systemdAnalyzeMissing();
if (skipVerify) process.stdout.write(`# skipping systemd-analyze verify of the units: ${skipVerify}\n`);

describe('systemd units: systemd-analyze verify, in a root with the installed paths', { skip: skipVerify }, () => {
  let root: { path: string; remove(): Promise<void> };
  let unitDir: string;

  before(async () => {
    // A file system root as the package leaves it: the distribution's units (targets, redis-server if present) plus
    // ours, and the commands they run. verify checks ExecStart= and ExecStartPre= binaries exist under --root, so
    // stubs stand in for /usr/bin/image-loader (not installed on a test machine) and /usr/bin/install.
    root = await tempDir('image-loader-units-');
    unitDir = join(root.path, 'usr/lib/systemd/system');
    await cp('/usr/lib/systemd/system', unitDir, { recursive: true });
    await symlink('usr/lib', join(root.path, 'lib'));
    await mkdir(join(root.path, 'usr/bin'), { recursive: true });
    for (const command of ['image-loader', 'install']) {
      await writeFile(join(root.path, 'usr/bin', command), '#!/bin/sh\nexit 0\n');
      await chmod(join(root.path, 'usr/bin', command), 0o755);
    }
    for (const role of ROLES) await cp(join(DEPLOY, 'systemd', UNITS[role].file), join(unitDir, UNITS[role].file));
  });
  after(async () => root?.remove());

  /** verify's complaints about one unit. It exits 0 after most of them ("ignoring"), so any output at all is a failure. */
  const verify = (unit: string): string => {
    const run = spawnSync('systemd-analyze', ['verify', `--root=${root.path}`, unit], { encoding: 'utf8' });
    return `${run.stdout}${run.stderr}`.trim() || (run.status === 0 ? '' : `exit code ${run.status}`);
  };

  for (const role of ROLES) {
    it(`${UNITS[role].file} passes verify without a single warning, and its sandbox scores under 2.0 in systemd-analyze security`, () => {
      assert.equal(verify(UNITS[role].instance), '');
      const security = spawnSync(
        'systemd-analyze',
        ['security', '--offline=yes', `--root=${root.path}`, UNITS[role].instance],
        { encoding: 'utf8' },
      );
      const score = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout);
      assert.ok(score, `no exposure level in: ${security.stdout}${security.stderr}`);
      process.stdout.write(`# ${UNITS[role].instance}: exposure ${score[1]} (0 = fully sandboxed, 10 = not at all)\n`);
      assert.ok(Number(score[1]) < 2, `exposure ${score[1]}`);
    });
  }

  const BREAKAGES: Array<[string, (text: string) => string]> = [
    ['a misspelled key', (text) => text.replace('NoNewPrivileges=yes', 'NoNewPrivilegs=yes')],
    ['an invalid value', (text) => text.replace('ProtectSystem=strict', 'ProtectSystem=stric')],
    ['an unparsable time', (text) => text.replace(/^TimeoutStopSec=.*$/m, 'TimeoutStopSec=30 parsecs')],
    [
      'a command that does not exist',
      (text) => text.replace('ExecStart=/usr/bin/image-loader', 'ExecStart=/usr/bin/image-loadr'),
    ],
    ['a misspelled section', (text) => text.replace('[Service]', '[Servic]')],
  ];
  for (const [what, breakIt] of BREAKAGES) {
    it(`rejects a copy of the web unit with ${what} (the check is real)`, async () => {
      const text = await readFile(join(DEPLOY, 'systemd', UNITS.web.file), 'utf8');
      const broken = breakIt(text);
      assert.notEqual(broken, text);
      await writeFile(join(unitDir, 'image-loader-broken.service'), broken);
      assert.notEqual(verify('image-loader-broken.service'), '');
    });
  }
});

describe('systemd units: the deployment decisions', () => {
  for (const role of ROLES) {
    it(`${UNITS[role].file}: runs image-loader ${role} as image-loader, sandboxed, with the store and Redis dependencies of its role`, async () => {
      const unit = parseUnit(await readFile(join(DEPLOY, 'systemd', UNITS[role].file), 'utf8'));
      const section = (name: string): Map<string, string[]> => unit.get(name) ?? new Map();
      const service = section('Service');
      const one = (key: string): string | undefined => service.get(key)?.at(-1);
      assert.equal(one('Type'), 'simple');
      assert.equal(one('ExecStart'), `/usr/bin/image-loader ${role}`);
      assert.deepEqual(service.get('EnvironmentFile'), [
        '/etc/image-loader/common.env',
        `/etc/image-loader/${role}.env`,
      ]);
      assert.equal(one('User'), 'image-loader');
      assert.equal(one('Group'), 'image-loader');
      assert.equal(one('Restart'), 'on-failure');
      assert.ok(one('RestartSec'));
      assert.equal(one('KillSignal'), 'SIGTERM');
      for (const [key, value] of Object.entries(HARDENING)) assert.equal(one(key), value, key);
      assert.deepEqual(service.get('ReadWritePaths') ?? [], UNITS[role].readWrite);
      assert.deepEqual(service.get('ReadOnlyPaths') ?? [], UNITS[role].readOnly);
      assert.deepEqual(section('Unit').get('RequiresMountsFor') ?? [], UNITS[role].needsStoreMount ? [STORE] : []);
      for (const key of ['Wants', 'After']) {
        assert.equal(
          (section('Unit').get(key) ?? []).includes('redis-server.service'),
          UNITS[role].redis,
          `${key}=redis-server.service`,
        );
      }
      assert.deepEqual(section('Install').get('WantedBy'), ['multi-user.target']);
    });
  }

  it('the worker instance name is in its log identifier', async () => {
    const unit = parseUnit(await readFile(join(DEPLOY, 'systemd', UNITS.worker.file), 'utf8'));
    assert.match(unit.get('Service')!.get('SyslogIdentifier')![0]!, /%i/);
  });

  it("the worker's TimeoutStopSec leaves room for its stop timeout (the default and worker.env's) plus 15 s to close", async () => {
    const unit = parseUnit(await readFile(join(DEPLOY, 'systemd', UNITS.worker.file), 'utf8'));
    const timeoutStopMs = parseDuration(unit.get('Service')!.get('TimeoutStopSec')![0]!);
    assert.ok(timeoutStopMs !== undefined);
    const configured = envAssignments(await readFile(join(DEPLOY, 'env', 'worker.env'), 'utf8')).find(
      (entry) => entry.name === 'IMAGE_LOADER_STOP_TIMEOUT',
    );
    const stopTimeoutMs = Math.max(
      workerSettings.stopTimeoutMs.default,
      configured ? workerSettings.stopTimeoutMs.parse(configured.value)! : 0,
    );
    assert.ok(
      timeoutStopMs >= stopTimeoutMs + 15_000,
      `TimeoutStopSec ${timeoutStopMs} ms, stop timeout ${stopTimeoutMs} ms`,
    );
  });
});

interface EnvAssignment {
  name: string;
  value: string;
  commented: boolean;
  line: string;
}

/** `NAME=value` lines of an EnvironmentFile, and the `#NAME=value` examples that show a default. */
function envAssignments(text: string): EnvAssignment[] {
  return text.split('\n').flatMap((line) => {
    const match = /^(#?)(IMAGE_LOADER_[A-Z0-9_]+)=(.*)$/.exec(line);
    return match ? [{ name: match[2]!, value: match[3]!, commented: match[1] === '#', line }] : [];
  });
}

const SETTINGS: Record<Role, Record<string, Setting<unknown>>> = {
  coordinator: coordinatorSettings,
  worker: workerSettings,
  web: webSettings,
  dashboard: dashboardSettings,
};

describe('/etc/image-loader/*.env: every line names a setting its readers know, with a value they accept', () => {
  const files: Array<[string, Role[]]> = [
    ['common.env', ROLES],
    ...ROLES.map((role): [string, Role[]] => [`${role}.env`, [role]]),
  ];
  for (const [file, readers] of files) {
    it(`${file} (read by ${readers.join(', ')})`, async () => {
      const text = await readFile(join(DEPLOY, 'env', file), 'utf8');
      for (const line of text.split('\n')) {
        // systemd reads a "#" after a value as part of the value, and no line may be anything but a comment or NAME=value.
        assert.match(line, /^(#.*|[A-Z0-9_]+=[^#\s"']*|)$/, `${file}: ${line}`);
      }
      const assignments = envAssignments(text);
      assert.ok(assignments.length > 0);
      for (const { name, value, line } of assignments) {
        const known = readers.flatMap((role) =>
          Object.values(SETTINGS[role]).filter((setting) => setting.env === name),
        );
        assert.ok(known.length > 0, `${file}: ${name} is a setting of none of ${readers.join(', ')}`);
        // Empty means "the default" to every setting; anything else must pass each reader's validation.
        if (value !== '')
          for (const setting of known) assert.notEqual(setting.parse(value), undefined, `${file}: ${line}`);
        // Every setting is explained on the comment lines above it.
        const before = text.slice(0, text.indexOf(line)).trimEnd().split('\n').at(-1) ?? '';
        assert.match(before, /^#/, `${file}: ${name} has no comment above it`);
      }
    });
  }

  it('the units name exactly these files, and the package marks exactly these as conffiles', async () => {
    const shipped = (await readdir(join(DEPLOY, 'env'))).filter((name) => name.endsWith('.env')).sort();
    const named = new Set<string>();
    for (const role of ROLES) {
      const unit = parseUnit(await readFile(join(DEPLOY, 'systemd', UNITS[role].file), 'utf8'));
      for (const path of unit.get('Service')!.get('EnvironmentFile')!)
        named.add(path.replace('/etc/image-loader/', ''));
    }
    assert.deepEqual([...named].sort(), shipped);
    const conffiles = (await readFile(join(DEPLOY, 'debian', 'conffiles'), 'utf8')).trim().split('\n').sort();
    assert.deepEqual(
      conffiles,
      shipped.map((name) => `/etc/image-loader/${name}`),
    );
  });
});
