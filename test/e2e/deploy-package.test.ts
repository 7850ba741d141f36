import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rawRequest } from '../../harness/http-get.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { redisServerMissing } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import {
  bootSystemdContainer,
  type SystemdContainer,
  systemdContainerMissing,
} from '../../harness/systemd-container.js';
import { waitFor } from '../../harness/wait-for.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const DEBIAN = join(REPO, 'helm-free-deploy/debian');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const DEB = join(REPO, 'build/deb', `image-loader_${VERSION}_all.deb`);
const ID = 2950;
const ENV_FILES = ['common.env', 'coordinator.env', 'worker.env', 'web.env', 'dashboard.env'];
const UNIT_FILES = [
  'image-loader-coordinator.service',
  'image-loader-worker@.service',
  'image-loader-web.service',
  'image-loader-dashboard.service',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A command run to the end without blocking the event loop (lintian runs while the install tests do). */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; uid?: number; gid?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function overlaysMissing(): string | false {
  if (!isRoot)
    return 'needs root (a mount namespace with overlays on /etc and /var/lib, so the scripts add users to copies)';
  if (!has('adduser')) return 'adduser is not installed (apt-get install adduser; .ci/run does)';
  const probe = spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'd=$(mktemp -d) && mkdir $d/u $d/w && mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc; s=$?; umount /etc 2>/dev/null; rm -rf $d; exit $s',
    ],
    { encoding: 'utf8' },
  );
  return probe.status === 0 ? false : `an overlay on /etc in a mount namespace failed here: ${probe.stderr.trim()}`;
}

/**
 * Runs `script` as root in a mount namespace of its own where /etc and /var/lib are overlays on
 * throw-away folders: users and groups the maintainer scripts add, and files they delete, never reach
 * this machine. It starts without any image-loader user or group, whatever the host has.
 */
async function inOverlay(script: string): Promise<Run> {
  const dir = await tempDir('image-loader-overlay-');
  try {
    const mounts = ['etc', 'var/lib']
      .map(
        (path, i) =>
          `mkdir ${dir.path}/u${i} ${dir.path}/w${i} && mount -t overlay overlay -o lowerdir=/${path},upperdir=${dir.path}/u${i},workdir=${dir.path}/w${i} /${path}`,
      )
      .join(' && ');
    const fresh = 'userdel image-loader 2>/dev/null || true; groupdel image-loader 2>/dev/null || true';
    return await run('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `set -e; ${mounts}; ${fresh}; ${script}`,
    ]);
  } finally {
    await dir.remove();
  }
}

const POSTINST = join(DEBIAN, 'postinst');
const PRERM = join(DEBIAN, 'prerm');
const POSTRM = join(DEBIAN, 'postrm');

const skipScripts = overlaysMissing();
if (skipScripts) process.stdout.write(`# skipping the maintainer script tests: ${skipScripts}\n`);

describe('maintainer scripts, run on a copy of /etc and /var/lib (systemd not running, as in a chroot)', {
  skip: skipScripts,
}, () => {
  it('postinst creates user and group image-loader with uid/gid 2950, no shell, home /var/lib/image-loader; running it again changes nothing', async () => {
    const result = await inOverlay(
      `sh ${POSTINST} configure; sh ${POSTINST} configure ${VERSION}; getent passwd image-loader; getent group image-loader; stat -c '%u:%g %a' /var/lib/image-loader`,
    );
    assert.equal(result.code, 0, result.stderr);
    const [passwd, group, home] = result.stdout.trim().split('\n');
    const fields = passwd!.split(':');
    assert.deepEqual(
      [fields[0], fields[2], fields[3], fields[5], fields[6]],
      ['image-loader', `${ID}`, `${ID}`, '/var/lib/image-loader', '/usr/sbin/nologin'],
    );
    assert.equal(group, `image-loader:x:${ID}:`);
    assert.equal(home, `${ID}:${ID} 750`);
  });

  it('postinst accepts a user and group an administrator made beforehand with the right ids', async () => {
    const result = await inOverlay(
      `addgroup --system --quiet --gid ${ID} image-loader; adduser --system --quiet --uid ${ID} --ingroup image-loader --no-create-home --home /var/lib/image-loader image-loader 2>/dev/null; sh ${POSTINST} configure`,
    );
    assert.equal(result.code, 0, result.stderr);
  });

  const CLASHES: Array<[string, string, RegExp]> = [
    [
      'a group image-loader with another gid',
      `addgroup --system --quiet --gid ${ID + 1} image-loader`,
      /group image-loader exists with gid 2951, not 2950/,
    ],
    [
      'gid 2950 taken by another group',
      `addgroup --system --quiet --gid ${ID} somebody-else`,
      /gid 2950 belongs to group somebody-else/,
    ],
    [
      'uid 2950 taken by another user',
      `useradd --system --uid ${ID} --no-user-group --gid nogroup --no-create-home --shell /usr/sbin/nologin somebody-else`,
      /uid 2950 belongs to user somebody-else/,
    ],
  ];
  for (const [what, setup, message] of CLASHES) {
    it(`postinst stops, saying why, on ${what} (the NFS store needs 2950 everywhere)`, async () => {
      const result = await inOverlay(`${setup}; sh ${POSTINST} configure`);
      assert.equal(result.code, 1);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /dpkg --configure image-loader/);
    });
  }

  it('with systemd running (stand-ins for systemctl and deb-systemd-invoke log their calls): reload on install and remove, try-restart on upgrade only, stop on remove only', async () => {
    const result = await inOverlay(
      [
        // /run/systemd/system is how the scripts tell a running systemd; a tmpfs on /run fakes one in this namespace.
        'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system',
        'stub=$(mktemp -d) && log=$stub/calls',
        `for command in systemctl deb-systemd-invoke; do printf '#!/bin/sh\\necho "%s $*" >> %s\\n' $command $log > $stub/$command && chmod +x $stub/$command; done`,
        'export PATH=$stub:$PATH',
        `sh ${POSTINST} configure; echo -- >> $log`,
        `sh ${POSTINST} configure 0.0.9; echo -- >> $log`,
        `sh ${PRERM} upgrade; echo -- >> $log`,
        `sh ${PRERM} remove; echo -- >> $log`,
        `sh ${POSTRM} remove`,
        'cat $log; rm -rf $stub',
      ].join('; '),
    );
    assert.equal(result.code, 0, result.stderr);
    const reload = 'systemctl --system daemon-reload';
    // One line a call; "--" between the steps: install, upgrade, prerm upgrade (nothing), prerm remove, postrm remove.
    assert.deepEqual(result.stdout.trim().split('\n'), [
      reload,
      '--',
      reload,
      'deb-systemd-invoke try-restart image-loader-*.service',
      '--',
      '--',
      'deb-systemd-invoke stop image-loader-*.service',
      '--',
      reload,
    ]);
  });

  it('prerm and postrm remove keep the configuration; postrm purge deletes /etc/image-loader (with the files an operator added), enable links and the home, and keeps the user', async () => {
    const result = await inOverlay(
      [
        `sh ${POSTINST} configure`,
        'mkdir -p /etc/image-loader /etc/systemd/system/multi-user.target.wants',
        'echo s3cret > /etc/image-loader/redis-password',
        'ln -s /lib/systemd/system/image-loader-web.service /etc/systemd/system/multi-user.target.wants/image-loader-web.service',
        `sh ${PRERM} remove`,
        `sh ${POSTRM} remove`,
        'test -f /etc/image-loader/redis-password && test -L /etc/systemd/system/multi-user.target.wants/image-loader-web.service && echo kept-after-remove',
        `sh ${POSTRM} purge`,
        'test ! -e /etc/image-loader && test ! -L /etc/systemd/system/multi-user.target.wants/image-loader-web.service && test ! -e /var/lib/image-loader && echo gone-after-purge',
        'getent passwd image-loader >/dev/null && echo user-kept',
      ].join('; '),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['kept-after-remove', 'gone-after-purge', 'user-kept']);
  });
});

const skipPackage = has('dpkg-deb') ? false : 'dpkg-deb is not installed (not a Debian machine)';
if (skipPackage) process.stdout.write(`# skipping the Debian package tests: ${skipPackage}\n`);

function installMissing(): string | false {
  if (!isRoot) return 'needs root (dpkg -i)';
  if (!has('dpkg')) return 'dpkg is not installed';
  const status = spawnSync('dpkg-query', ['-W', '-f', '${Status}', 'image-loader'], { encoding: 'utf8' });
  if (status.status === 0 && status.stdout.includes('installed'))
    return `image-loader is already installed here (${status.stdout}): the test would replace and purge it`;
  if (!has('adduser'))
    return 'adduser is not installed (the package depends on it; apt-get install adduser; .ci/run does)';
  if (!existsSync('/usr/bin/node')) return "/usr/bin/node does not exist (the package runs the nodejs package's node)";
  return false;
}

/** dpkg -i flags: the nodejs dependency is honoured when dpkg knows a nodejs package recent enough. */
function nodejsDependency(): { args: string[]; note: string } {
  const installed = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'nodejs'], { encoding: 'utf8' });
  const version = installed.status === 0 ? installed.stdout.trim() : '';
  if (version && spawnSync('dpkg', ['--compare-versions', version, 'ge', '20.18']).status === 0) {
    return { args: [], note: `nodejs ${version} (a Debian package) satisfies Depends: nodejs (>= 20.18)` };
  }
  // Node installed some other way (nvm, a tarball) is invisible to dpkg. The package keeps its Depends; only this
  // test installs past it, to check everything else.
  return {
    args: ['--ignore-depends=nodejs'],
    note: `no nodejs package >= 20.18 known to dpkg (${version || 'none'}; node ${process.version} came from elsewhere): installing with --ignore-depends=nodejs`,
  };
}

describe('the Debian package: npm run package:deb, inspected, linted, installed with dpkg -i, purged', {
  skip: skipPackage,
}, () => {
  let lintian: Promise<Run> | undefined;
  let contents: Array<{ mode: string; owner: string; path: string }> = [];

  before(async () => {
    const built = await run('npm', ['run', 'package:deb'], { cwd: REPO, timeoutMs: 150_000 });
    assert.equal(built.code, 0, `${built.stdout}\n${built.stderr}`);
    process.stdout.write(`# npm run package:deb: ${seconds(built.ms)}; ${built.stdout.trim().split('\n').at(-1)}\n`);
    // Linting reads the .deb only: it runs while the install tests do, and is awaited last.
    if (has('lintian')) lintian = run('lintian', [DEB], { timeoutMs: 150_000 });
    const listing = await run('dpkg-deb', ['-c', DEB]);
    assert.equal(listing.code, 0, listing.stderr);
    contents = listing.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [mode, owner, , , , ...rest] = line.split(/\s+/);
        return {
          mode: mode!,
          owner: owner!,
          path: rest
            .join(' ')
            .replace(/^\.\//, '/')
            .replace(/ -> .*$/, ''),
        };
      });
  });

  it("dpkg-deb -c: the program, its production dependencies, the command, units, conffiles and docs; no tests, dev dependencies or machine code; all root's", () => {
    const paths = new Set(contents.map((entry) => entry.path));
    const expected = [
      '/usr/bin/image-loader',
      '/usr/lib/image-loader/package.json',
      '/usr/lib/image-loader/dist/cli/image-loader.cjs',
      '/usr/lib/image-loader/dist/cli/main.js',
      '/usr/lib/image-loader/dist/worker/worker-command.js',
      '/usr/lib/image-loader/dist/web/web-command.js',
      '/usr/lib/image-loader/node_modules/bullmq/package.json',
      '/usr/lib/image-loader/node_modules/express/package.json',
      '/usr/lib/image-loader/node_modules/undici/package.json',
      ...UNIT_FILES.map((unit) => `/lib/systemd/system/${unit}`),
      ...ENV_FILES.map((file) => `/etc/image-loader/${file}`),
      '/usr/share/doc/image-loader/copyright',
      '/usr/share/doc/image-loader/changelog.gz',
      '/usr/share/man/man1/image-loader.1.gz',
    ];
    for (const path of expected) assert.ok(paths.has(path), `missing ${path}`);
    const forbidden = [
      /^\/usr\/lib\/image-loader\/dist\/(test|bench|examples)\//,
      /\.map$/,
      /\.node$/,
      /\/node_modules\/(typescript|playwright-core|@types|msgpackr-extract|@msgpackr-extract)\//,
      /\/node_modules\/\.bin\//,
    ];
    for (const pattern of forbidden)
      assert.deepEqual(
        [...paths].filter((path) => pattern.test(path)),
        [],
        `${pattern}`,
      );
    assert.deepEqual(
      contents.filter((entry) => entry.owner !== 'root/root'),
      [],
    );
    assert.equal(contents.find((entry) => entry.path === '/usr/bin/image-loader')!.mode, '-rwxr-xr-x');
    process.stdout.write(`# ${contents.length} entries in the package\n`);
  });

  it('dpkg-deb -f: Package image-loader, Version from package.json, Architecture all, Depends nodejs (>= 20.18); conffiles are the five .env files', async () => {
    const fields = await run('dpkg-deb', ['-f', DEB, 'Package', 'Version', 'Architecture', 'Depends']);
    assert.equal(fields.code, 0, fields.stderr);
    const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(fields.stdout)?.[1] ?? '';
    assert.equal(field('Package'), 'image-loader');
    assert.equal(field('Version'), VERSION);
    assert.equal(field('Architecture'), 'all');
    assert.ok(field('Depends').split(/,\s*/).includes('nodejs (>= 20.18)'), field('Depends'));
    const conffiles = await run('dpkg-deb', ['-I', DEB, 'conffiles']);
    assert.deepEqual(
      conffiles.stdout.trim().split('\n').sort(),
      ENV_FILES.map((file) => `/etc/image-loader/${file}`).sort(),
    );
  });

  const skipInstall = skipPackage || installMissing();
  if (skipInstall && !skipPackage) process.stdout.write(`# skipping dpkg -i of the package: ${skipInstall}\n`);

  describe('dpkg -i on this machine, the installed command, dpkg --purge', { skip: skipInstall }, () => {
    const userExisted = spawnSync('getent', ['passwd', 'image-loader']).status === 0;
    const groupExisted = spawnSync('getent', ['group', 'image-loader']).status === 0;
    let store: { path: string; remove(): Promise<void> } | undefined;

    after(async () => {
      // Leave the machine as it was, even after a failure half-way.
      if (
        spawnSync('dpkg-query', ['-W', '-f', '${Status}', 'image-loader'], { encoding: 'utf8' }).stdout.includes(
          'installed',
        )
      ) {
        await run('dpkg', ['--purge', 'image-loader']);
      }
      if (!userExisted) spawnSync('userdel', ['image-loader']);
      if (!groupExisted && spawnSync('getent', ['group', 'image-loader']).status === 0)
        spawnSync('groupdel', ['image-loader']);
      await store?.remove();
    });

    it('dpkg -i installs it', async () => {
      const nodejs = nodejsDependency();
      process.stdout.write(`# ${nodejs.note}\n`);
      const installed = await run('dpkg', ['-i', ...nodejs.args, DEB]);
      assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
      process.stdout.write(`# dpkg -i: ${seconds(installed.ms)}\n`);
    });

    it("/usr/bin/image-loader --version prints package.json's version; image-loader --help works from PATH", async () => {
      const version = await run('/usr/bin/image-loader', ['--version']);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout, `${VERSION}\n`);
      const help = await run('image-loader', ['--help'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: image-loader <command>/);
      assert.match(help.stdout, /coordinator/);
    });

    it('made user image-loader (uid 2950) and group image-loader (gid 2950), with its home; put the conffiles and units in place', async () => {
      assert.match(
        spawnSync('getent', ['passwd', 'image-loader'], { encoding: 'utf8' }).stdout,
        new RegExp(`^image-loader:x:${ID}:${ID}:.*:/var/lib/image-loader:/usr/sbin/nologin$`, 'm'),
      );
      assert.match(
        spawnSync('getent', ['group', 'image-loader'], { encoding: 'utf8' }).stdout,
        new RegExp(`^image-loader:x:${ID}:`),
      );
      const home = await stat('/var/lib/image-loader');
      assert.deepEqual([home.uid, home.gid, home.mode & 0o777], [ID, ID, 0o750]);
      const conffiles = spawnSync('dpkg-query', ['-W', '-f', '${Conffiles}', 'image-loader'], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((line) => line.trim());
      for (const file of ENV_FILES) {
        const shipped = await readFile(join(REPO, 'helm-free-deploy/env', file));
        assert.deepEqual(await readFile(`/etc/image-loader/${file}`), shipped, file);
        assert.ok(
          conffiles.includes(`/etc/image-loader/${file} ${createHash('md5').update(shipped).digest('hex')}`),
          `${file} is not a registered conffile: ${conffiles.join(', ')}`,
        );
      }
      for (const unit of UNIT_FILES)
        assert.deepEqual(
          await readFile(`/lib/systemd/system/${unit}`),
          await readFile(join(REPO, 'helm-free-deploy/systemd', unit)),
          unit,
        );
    });

    it('the installed program runs as image-loader on its production dependencies alone: every dependency loads, and a web node serves /healthz and /metrics', async () => {
      const manifest = JSON.parse(await readFile('/usr/lib/image-loader/package.json', 'utf8')) as {
        dependencies: Record<string, string>;
      };
      const imports = await run(
        '/usr/bin/node',
        [
          '--input-type=module',
          '-e',
          `for (const name of ${JSON.stringify(Object.keys(manifest.dependencies))}) await import(name);`,
        ],
        { cwd: '/usr/lib/image-loader', uid: ID, gid: ID },
      );
      assert.equal(imports.code, 0, imports.stderr);
      store = await tempDir('image-loader-installed-');
      await chmod(store.path, 0o755);
      await mkdir(join(store.path, 'store'));
      const web = spawn(
        '/usr/bin/image-loader',
        ['web', '--store', join(store.path, 'store'), '--port', '0', '--host', '127.0.0.1'],
        { uid: ID, gid: ID, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      web.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
      web.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
      const exited = new Promise<number | null>((resolve) => web.on('close', (code) => resolve(code)));
      try {
        await waitFor(() => /"msg":"web server listening"/.test(output), 15_000, 'the installed web node to listen');
        const port = Number(/"msg":"web server listening".*?"port":(\d+)/.exec(output)![1]);
        const health = await rawRequest(port, '/healthz');
        // An empty store has no heartbeat yet: unhealthy, and saying so.
        assert.equal(health.status, 503);
        assert.match(health.body.toString(), /store missing/);
        assert.equal((await rawRequest(port, '/metrics')).status, 200);
      } finally {
        web.kill('SIGTERM');
      }
      assert.equal(await exited, 0, output);
    });

    it('dpkg --purge removes every file of it, /etc/image-loader and the home; the user stays (files in the store still belong to 2950)', async () => {
      const purged = await run('dpkg', ['--purge', 'image-loader']);
      assert.equal(purged.code, 0, `${purged.stdout}\n${purged.stderr}`);
      process.stdout.write(`# dpkg --purge: ${seconds(purged.ms)}\n`);
      for (const path of [
        '/usr/lib/image-loader',
        '/usr/bin/image-loader',
        '/etc/image-loader',
        '/var/lib/image-loader',
        '/lib/systemd/system/image-loader-web.service',
        '/usr/share/doc/image-loader',
      ]) {
        assert.equal(existsSync(path), false, `${path} is still there`);
      }
      assert.doesNotMatch(
        spawnSync('dpkg-query', ['-W', '-f', '${Status}', 'image-loader'], { encoding: 'utf8' }).stdout,
        /installed/,
      );
      assert.equal(spawnSync('getent', ['passwd', 'image-loader']).status, 0);
    });
  });

  const skipContainer = skipPackage || systemdContainerMissing() || redisServerMissing();
  if (skipContainer && !skipPackage)
    process.stdout.write(`# skipping the package under a real systemd: ${skipContainer}\n`);

  describe('under a real systemd (a container booted on an overlay of this machine): the package runs a whole fleet on one host', {
    skip: skipContainer,
  }, () => {
    let container: SystemdContainer;
    const UNITS = [
      'image-loader-coordinator.service',
      'image-loader-worker@1.service',
      'image-loader-worker@2.service',
      'image-loader-web.service',
      'image-loader-dashboard.service',
    ];
    const IMAGES = ['alpha', 'beta', 'gamma'];
    const REDIS_FLAGS = '--redis redis://127.0.0.1:6379 --redis-password-file /etc/image-loader/redis-password';
    const show = async (unit: string, ...properties: string[]): Promise<Record<string, string>> => {
      const result = await container.sh(`systemctl show ${properties.map((name) => `-p ${name}`).join(' ')} ${unit}`);
      return Object.fromEntries(
        result.stdout
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
    };
    const diagnose = async (): Promise<string> =>
      (
        await container.sh(
          `systemctl status --no-pager --lines=8 ${UNITS.join(' ')} 2>&1; journalctl --no-pager -n 40 2>&1`,
        )
      ).stdout;

    before(async () => {
      const booting = Date.now();
      container = await bootSystemdContainer();
      process.stdout.write(
        `# container booted in ${seconds(Date.now() - booting)} (${(await container.sh('systemctl --version | head -1')).stdout.trim()})\n`,
      );
    });
    after(async () => container?.stop());

    it('dpkg -i installs it there, and its postinst makes systemd load the four units', async () => {
      const installed = await container.sh(`dpkg -i ${DEB} 2>&1`);
      assert.equal(installed.code, 0, installed.stdout);
      const units = await container.sh("systemctl list-unit-files --no-legend 'image-loader*' | cut -d' ' -f1");
      assert.deepEqual(units.stdout.trim().split('\n').sort(), [...UNIT_FILES].sort());
    });

    it('configured as a central host, coordinator, two workers, web node and dashboard start; a round downloads every image and the web node serves each byte-exact', async () => {
      // The origin and Redis run as transient units of the container's systemd; the rest is what an operator does.
      const origin = String.raw`import http from 'node:http'; import { makePng } from '${REPO}dist/harness/origin/sample-images.js';
        http.createServer((req, res) => { const name = /^\/(\w+)\.png$/.exec(req.url ?? '')?.[1];
          if (!name) { res.writeHead(404).end(); return; } res.writeHead(200, { 'content-type': 'image/png' }).end(makePng(name, 24)); }).listen(8000, '127.0.0.1');`;
      const setup = await container.sh(
        [
          'set -e',
          `echo ${Buffer.from(origin).toString('base64')} | base64 -d > /root/origin.mjs`,
          'systemd-run --quiet --unit=test-origin /usr/bin/node /root/origin.mjs',
          'mkdir -p /var/lib/test-redis',
          'systemd-run --quiet --unit=test-redis redis-server --port 6379 --bind 127.0.0.1 --requirepass s3cret --appendonly yes --maxmemory-policy noeviction --dir /var/lib/test-redis',
          'install -o root -g image-loader -m 0640 /dev/null /etc/image-loader/redis-password && echo s3cret > /etc/image-loader/redis-password',
          "sed -i 's|^IMAGE_LOADER_REDIS=.*|IMAGE_LOADER_REDIS=redis://127.0.0.1:6379|' /etc/image-loader/common.env",
          // The origin is on loopback, which the SSRF guard refuses by default.
          'echo IMAGE_LOADER_ALLOW_PRIVATE=1 >> /etc/image-loader/worker.env',
          `printf '${IMAGES.map((name) => `http://127.0.0.1:8000/${name}.png`).join('\\n')}\\n' > /etc/image-loader/urls.txt`,
          'install -d -o image-loader -g image-loader -m 0755 /srv/image-loader/store',
          'for i in $(seq 50); do redis-cli --no-auth-warning -a s3cret ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done',
          // The coordinator first, alone, on a store no worker has touched: its .image-loader folder does not exist yet.
          'systemctl start image-loader-coordinator.service',
          `systemctl start ${UNITS.join(' ')}`,
        ].join('\n'),
      );
      assert.equal(setup.code, 0, `${setup.stdout}${setup.stderr}\n${await diagnose()}`);
      // The coordinator's first round starts as soon as it creates the schedule.
      let status: { entries?: Array<{ url: string; path?: string; status: string }> } = {};
      await waitFor(
        async () => {
          const result = await container.sh(`image-loader status --json ${REDIS_FLAGS}`);
          status = result.code === 0 ? (JSON.parse(result.stdout) as typeof status) : {};
          return status.entries?.length === IMAGES.length;
        },
        30_000,
        'the first round to complete',
      ).catch(async (error: Error) => assert.fail(`${error.message}: ${JSON.stringify(status)}\n${await diagnose()}`));
      const entries = status.entries!;
      assert.deepEqual(
        entries.map((entry) => entry.status),
        IMAGES.map(() => 'downloaded'),
      );
      // The web node and the dashboard may still be starting when the round is done: both answer before they are read.
      const pages = ['http://127.0.0.1:8080/healthz', 'http://127.0.0.1:3000/rounds'];
      const answering = `Promise.all(${JSON.stringify(pages)}.map((page) => fetch(page))).then(() => process.exit(0), () => process.exit(1));`;
      await waitFor(
        async () =>
          (await container.sh(`/usr/bin/node -e "$(echo ${Buffer.from(answering).toString('base64')} | base64 -d)"`))
            .code === 0,
        30_000,
        'the web node and the dashboard to answer',
      ).catch(async (error: Error) => assert.fail(`${error.message}\n${await diagnose()}`));
      // Fetched inside the container (its own network namespace): the SHA-256 of each image as the web node serves it.
      const paths = entries.map((entry) => entry.path!);
      const fetcher = `const out = {}; for (const path of ${JSON.stringify(paths)}) { const res = await fetch('http://127.0.0.1:8080/' + path.split('/').map(encodeURIComponent).join('/'));
        out[path] = res.status + ' ' + (await import('node:crypto')).createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'); }
        for (const page of ${JSON.stringify(pages)}) out[page] = String((await fetch(page)).status);
        console.log(JSON.stringify(out));`;
      const fetched = await container.sh(
        `/usr/bin/node --input-type=module -e "$(echo ${Buffer.from(fetcher).toString('base64')} | base64 -d)"`,
      );
      assert.equal(fetched.code, 0, fetched.stderr);
      const served = JSON.parse(fetched.stdout) as Record<string, string>;
      for (const entry of entries) {
        const name = /\/(\w+)\.png$/.exec(entry.url)![1]!;
        assert.equal(
          served[entry.path!],
          `200 ${createHash('sha256').update(makePng(name, 24)).digest('hex')}`,
          entry.url,
        );
      }
      assert.equal(served['http://127.0.0.1:8080/healthz'], '200');
      assert.equal(served['http://127.0.0.1:3000/rounds'], '200');
      for (const unit of UNITS) {
        const state = await show(unit, 'ActiveState', 'NRestarts', 'User');
        assert.deepEqual(state, { ActiveState: 'active', NRestarts: '0', User: 'image-loader' }, unit);
      }
      const logged = await container.sh('journalctl --no-pager -o cat -t image-loader-worker-2 | head -1');
      assert.match(logged.stdout, /"process":"worker"/);
    });

    it("each service's sandbox: only workers write the store, the coordinator only its .image-loader folder, the dashboard cannot see it, nobody writes /etc or /usr", async () => {
      const probes = [
        '/srv/image-loader/store',
        '/srv/image-loader/store/.image-loader',
        '/etc/image-loader',
        '/usr/lib/image-loader',
        '/tmp',
      ];
      const expected: Record<string, string[]> = {
        'image-loader-coordinator.service': [
          'Read-only file system',
          'ok',
          'Read-only file system',
          'Read-only file system',
          'ok',
        ],
        'image-loader-worker@1.service': ['ok', 'ok', 'Read-only file system', 'Read-only file system', 'ok'],
        'image-loader-web.service': [
          'Read-only file system',
          'Read-only file system',
          'Read-only file system',
          'Read-only file system',
          'ok',
        ],
        'image-loader-dashboard.service': [
          'Permission denied',
          'Permission denied',
          'Read-only file system',
          'Read-only file system',
          'ok',
        ],
      };
      for (const [unit, outcomes] of Object.entries(expected)) {
        const { MainPID } = await show(unit, 'MainPID');
        assert.ok(Number(MainPID) > 1, `${unit} is not running (MainPID ${MainPID})`);
        // A file created as the service's user in the service's own mount namespace.
        const result = await container.sh(
          probes
            .map(
              (dir) =>
                `nsenter -t ${MainPID} -m -r -w setpriv --reuid ${ID} --regid ${ID} --clear-groups sh -c 'touch ${dir}/probe && rm ${dir}/probe && echo ok' 2>&1 | sed 's/.*: //'`,
            )
            .join('\n'),
        );
        assert.deepEqual(result.stdout.trim().split('\n'), outcomes, unit);
      }
    });

    it('Restart=on-failure: a web node killed with SIGKILL is running again after RestartSec', async () => {
      const before = await show('image-loader-web.service', 'MainPID');
      assert.ok(Number(before.MainPID) > 1, `no web node running (MainPID ${before.MainPID})`);
      await container.sh(`kill -KILL ${before.MainPID}`);
      await waitFor(
        async () => {
          const now = await show('image-loader-web.service', 'ActiveState', 'SubState', 'NRestarts', 'MainPID');
          return now.SubState === 'running' && now.NRestarts === '1' && now.MainPID !== before.MainPID;
        },
        15_000,
        'systemd to restart the web node',
      );
    });

    it('systemctl stop: every service exits 0 on SIGTERM, well within its TimeoutStopSec', async () => {
      const stopped = await container.sh(`systemctl stop ${UNITS.join(' ')}`);
      assert.equal(stopped.code, 0, stopped.stderr);
      for (const unit of UNITS)
        assert.deepEqual(
          await show(unit, 'Result', 'ExecMainStatus', 'ActiveState'),
          { Result: 'success', ExecMainStatus: '0', ActiveState: 'inactive' },
          unit,
        );
    });
  });

  it('lintian finds no error', {
    skip: has('lintian') ? false : 'lintian is not installed (apt-get install lintian; .ci/run does)',
  }, async () => {
    const result = await lintian!;
    const findings = result.stdout
      .trim()
      .split('\n')
      .filter((line) => /^[EWIPX]: /.test(line));
    const counts = ['E', 'W', 'I', 'P', 'X']
      .map((level) => [level, findings.filter((line) => line.startsWith(level)).length] as const)
      .filter(([, n]) => n > 0)
      .map(([level, n]) => `${level}: ${n}`);
    process.stdout.write(
      `# lintian ${seconds(result.ms)}: ${counts.join(', ') || 'no findings'}\n${findings.map((line) => `#   ${line}\n`).join('')}`,
    );
    assert.deepEqual(
      findings.filter((line) => line.startsWith('E: ')),
      [],
    );
    // lintian exits 1 when it reports errors only; a crash is another story.
    assert.ok(result.code === 0 || result.code === 1, `lintian exited ${result.code}: ${result.stderr}`);
  });
});
