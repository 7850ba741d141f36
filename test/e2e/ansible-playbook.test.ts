import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ANSIBLE_DIR,
  REPO,
  renderTemplates,
  roleTemplate,
  runCommand,
  verifyWorkerDropIn,
  yamlValue,
} from '../../harness/ansible-render.js';
import { commandAvailable, promtool } from '../../harness/prometheus.js';
import { tempDir } from '../../harness/scratch-dir.js';

// helm-free-deploy/ansible: there are no hosts to run it against here, so the checks are what
// ansible itself can say without them (syntax, inventory), what the tasks are made of, and every
// template rendered for each host of the example inventory, then read by the tools that will
// read it on a real host.
const CLI = join(REPO, 'dist', 'cli', 'image-loader.cjs');
const STORE_UNIT = 'srv-image\\x2dloader-store';

function available(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

const skip = available('ansible-playbook')
  ? false
  : 'ansible-playbook is not installed (apt-get install ansible-core; .ci/run does)';
if (skip) process.stdout.write(`# skipping the Ansible playbook checks: ${skip}\n`);

/** The IMAGE_LOADER_* variables a command accepts, from its --help (generated from its settings table). */
function acceptedVariables(command: string): Set<string> {
  const help = runCommand(process.execPath, [CLI, command, '--help'], REPO);
  assert.equal(help.status, 0, help.stderr);
  return new Set([...help.stdout.matchAll(/\[(IMAGE_LOADER_[A-Z_]+)\]/g)].map((match) => match[1]!));
}

/** NAME=value lines of an environment file, comments left out. */
function variables(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );
}

/** An exports file's entries as words: comments out, continuation lines joined. */
function exportWords(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split(/\s+/)
    .filter((word) => word !== '');
}

describe('the Ansible playbook (helm-free-deploy/ansible)', { skip }, () => {
  it('passes ansible-playbook --syntax-check with the example inventory', () => {
    const checked = runCommand('ansible-playbook', ['--syntax-check', '-i', 'inventory.example.ini', 'playbook.yml']);
    assert.equal(checked.status, 0, `${checked.stdout}\n${checked.stderr}`);
    assert.match(checked.stdout, /playbook: playbook\.yml/);
    assert.doesNotMatch(checked.stderr, /WARNING|ERROR/, checked.stderr);
  });

  it('the example inventory lists one central host, two web nodes, no worker host, each with a private address and no secret', () => {
    const listed = runCommand('ansible-inventory', ['-i', 'inventory.example.ini', '--list']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.doesNotMatch(listed.stderr, /WARNING|ERROR/, listed.stderr);
    const inventory = JSON.parse(listed.stdout) as Record<string, { hosts?: string[] }> & {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
    };
    assert.deepEqual(inventory.central?.hosts, ['central1']);
    assert.deepEqual(inventory.web?.hosts, ['web1', 'web2']);
    assert.equal(inventory.workers?.hosts, undefined);
    for (const [host, vars] of Object.entries(inventory._meta.hostvars)) {
      assert.match(String(vars.image_loader_private_address), /^10\.0\.0\.\d+$/, host);
      assert.equal(vars.image_loader_central_address, '10.0.0.5', host);
      assert.ok(
        !Object.keys(vars).some((name) => /password|secret/i.test(name)),
        `${host}: no secret in the inventory`,
      );
    }
  });

  it('uses ansible.builtin modules only, never shell, command, raw or script', () => {
    // PyYAML comes with ansible-core. Every key of a task that is not a task keyword is its module.
    const script = `
import glob, json, sys, yaml
keywords = {'name', 'when', 'loop', 'vars', 'notify', 'register', 'become', 'delegate_to', 'no_log', 'until', 'retries',
            'delay', 'failed_when', 'changed_when', 'listen', 'tags', 'run_once', 'check_mode', 'ignore_errors', 'loop_control'}
modules = []
def walk(tasks, where):
    for task in tasks or []:
        for block in ('block', 'rescue', 'always'):
            walk(task.get(block), where)
        modules.extend((where, key) for key in task if key not in keywords | {'block', 'rescue', 'always'})
for path in sorted(glob.glob('roles/*/tasks/*.yml') + glob.glob('roles/*/handlers/*.yml')):
    walk(yaml.safe_load(open(path)), path)
for play in yaml.safe_load(open('playbook.yml')):
    for section in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
        walk(play.get(section), 'playbook.yml')
json.dump(modules, sys.stdout)
`;
    const listed = runCommand('python3', ['-c', script]);
    assert.equal(listed.status, 0, listed.stderr);
    const modules = JSON.parse(listed.stdout) as [string, string][];
    assert.ok(modules.length > 30, `found ${modules.length} tasks`);
    for (const [where, module] of modules) {
      assert.match(module, /^ansible\.builtin\./, `${where}: ${module}`);
      assert.ok(!/\.(shell|command|raw|script)$/.test(module), `${where}: ${module}`);
    }
  });

  it("renders every template for each host: env files the commands accept, the export, Redis, nfs.conf and the mount unit with the fleet's addresses", async () => {
    const dir = await tempDir();
    try {
      // The example inventory with its optional worker host switched on, and a central address
      // other than the shipped files' 10.0.0.5, so that every substitution shows.
      const inventory = (await readFile(join(ANSIBLE_DIR, 'inventory.example.ini'), 'utf8')).replace(
        /^#worker1 /m,
        'worker1 ',
      );
      await writeFile(join(dir.path, 'inventory.ini'), inventory);
      const envFile = (name: string): string =>
        `${name}.env: "{{ lookup('ansible.builtin.template', env_template, template_vars={'env_name': '${name}', 'env_values': image_loader_${name}_env | combine(image_loader_${name}_env_extra)}) }}"`;
      const password = 'a-test-password-0123456789';
      const results = await renderTemplates(
        dir.path,
        ['central1', 'web1'],
        [
          ...['common', 'coordinator', 'worker', 'web', 'dashboard'].map(envFile),
          roleTemplate('redis.conf', 'redis', 'image-loader.conf.j2'),
          roleTemplate('image-loader.exports', 'nfs_server', 'image-loader.exports.j2'),
          roleTemplate('nfs.conf', 'nfs_server', 'nfs.conf.j2'),
          roleTemplate(`${STORE_UNIT}.mount`, 'store_mount', 'store.mount.j2'),
        ],
        { image_loader_central_address: '10.99.0.5', image_loader_redis_password: password },
      );
      const file = (host: string, name: string): string => results[host]![name]!;

      // Environment files: each variable is one the command reading the file accepts (a typo
      // would be ignored by the program and silently leave the default).
      const accepted = Object.fromEntries(
        ['coordinator', 'worker', 'web', 'dashboard'].map((command) => [command, acceptedVariables(command)]),
      );
      const common = variables(file('central1', 'common.env'));
      assert.deepEqual(Object.fromEntries(common), {
        IMAGE_LOADER_REDIS: 'redis://10.99.0.5:6379',
        IMAGE_LOADER_REDIS_PASSWORD_FILE: '/etc/image-loader/redis-password',
        IMAGE_LOADER_STORE: '/srv/image-loader/store',
      });
      for (const name of common.keys())
        assert.ok(
          Object.values(accepted).some((set) => set.has(name)),
          `common.env: ${name}`,
        );
      for (const command of ['coordinator', 'worker', 'web', 'dashboard']) {
        for (const name of variables(file('central1', `${command}.env`)).keys())
          assert.ok(accepted[command]!.has(name), `${command}.env: ${name} is not a ${command} setting`);
      }
      assert.equal(
        variables(file('central1', 'coordinator.env')).get('IMAGE_LOADER_LIST'),
        '/etc/image-loader/urls.txt',
      );

      // The export: the same entry as the shipped nfs/exports (web nodes ro, the worker host rw).
      assert.deepEqual(
        exportWords(file('central1', 'image-loader.exports')),
        exportWords(await readFile(join(REPO, 'nfs', 'exports'), 'utf8')),
      );

      // Redis: the shipped settings with the address and the password filled in, nothing else changed.
      const shipped = await readFile(join(REPO, 'helm-free-deploy', 'redis', 'image-loader.conf'), 'utf8');
      const redis = file('central1', 'redis.conf');
      assert.match(redis, /^bind 127\.0\.0\.1 10\.99\.0\.5$/m);
      assert.match(redis, new RegExp(`^requirepass ${password}$`, 'm'));
      const settingLines = (text: string): string[] =>
        text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      assert.deepEqual(
        settingLines(redis).filter((line) => !/^(bind|requirepass) /.test(line)),
        settingLines(shipped).filter((line) => !line.startsWith('bind ')),
      );

      assert.match(file('central1', 'nfs.conf'), /^host=10\.99\.0\.5$/m);

      // The mount unit: the fleet's address, and still a unit systemd accepts under its escaped name.
      const mount = file('web1', `${STORE_UNIT}.mount`);
      assert.match(mount, /^What=10\.99\.0\.5:\/srv\/image-loader\/store$/m);
      if (available('systemd-analyze')) {
        const units = join(dir.path, 'units');
        await mkdir(units);
        await writeFile(join(units, `${STORE_UNIT}.mount`), mount);
        await copyFile(join(REPO, 'nfs', `${STORE_UNIT}.automount`), join(units, `${STORE_UNIT}.automount`));
        const verified = runCommand('systemd-analyze', [
          'verify',
          join(units, `${STORE_UNIT}.mount`),
          join(units, `${STORE_UNIT}.automount`),
        ]);
        assert.equal(verified.status, 0, verified.stderr);
        assert.equal(`${verified.stdout}${verified.stderr}`.trim(), '');
      } else {
        process.stdout.write('# the rendered mount unit was not verified: systemd-analyze is not installed\n');
      }
    } finally {
      await dir.remove();
    }
  });

  it('with image_loader_prometheus_scrape: scrape jobs and targets from the inventory, each worker instance on the port its drop-in gives it, valid for promtool check config', async (t) => {
    const dir = await tempDir();
    try {
      // The example with its worker host (4 instances) and central1 as the Prometheus host; a dashboard with a
      // user on every address, so its token and the central private address show.
      const inventory = (await readFile(join(ANSIBLE_DIR, 'inventory.example.ini'), 'utf8'))
        .replace(/^#worker1 /m, 'worker1 ')
        .replace(/^\[prometheus\]\n#central1$/m, '[prometheus]\ncentral1');
      await writeFile(join(dir.path, 'inventory.ini'), inventory);
      const prometheusDir = join(dir.path, 'prometheus');
      const dropIn = (instance: number): string =>
        `dropin${instance}: "{{ lookup('ansible.builtin.template', roles_dir ~ '/worker/templates/metrics.conf.j2', template_vars={'instance': ${instance}}) if ${instance} <= image_loader_worker_count | int else '' }}"`;
      const extraVars = {
        image_loader_prometheus_scrape: true,
        image_loader_prometheus_dir: prometheusDir,
        image_loader_dashboard_user: 'ops',
        image_loader_dashboard_metrics_token: 'a-test-token-0123456789',
        image_loader_dashboard_env_extra: { IMAGE_LOADER_DASHBOARD_HOST: '0.0.0.0' },
      };
      const results = await renderTemplates(
        dir.path,
        ['central1', 'worker1'],
        [
          ...['scrape.yml', 'dashboard-targets.yml', 'worker-targets.yml', 'web-targets.yml', 'node-targets.yml'].map(
            (name) => roleTemplate(name, 'prometheus_scrape', `${name}.j2`),
          ),
          ...[1, 2, 3, 4, 5].map(dropIn),
        ],
        extraVars,
      );
      const file = (name: string): string => results.central1![name]!;

      // Targets: every process of the example fleet at its private address, and nothing else.
      type TargetGroup = { targets: string[]; labels: { host: string } };
      const targets = (name: string): TargetGroup[] => yamlValue(file(`${name}-targets.yml`)) as TargetGroup[];
      assert.deepEqual(targets('dashboard'), [{ targets: ['10.0.0.5:3000'], labels: { host: 'central1' } }]);
      assert.deepEqual(targets('worker'), [
        { targets: ['10.0.0.5:9101', '10.0.0.5:9102'], labels: { host: 'central1' } },
        {
          targets: ['10.0.0.11:9101', '10.0.0.11:9102', '10.0.0.11:9103', '10.0.0.11:9104'],
          labels: { host: 'worker1' },
        },
      ]);
      assert.deepEqual(targets('web'), [
        { targets: ['10.0.0.21:8080'], labels: { host: 'web1' } },
        { targets: ['10.0.0.22:8080'], labels: { host: 'web2' } },
      ]);
      assert.deepEqual(
        targets('node').map((group) => group.targets[0]),
        ['10.0.0.5:9100', '10.0.0.11:9100', '10.0.0.21:9100', '10.0.0.22:9100'],
      );

      // The units agree: each instance's drop-in gives it the port its target names, at the host's private
      // address, in variables the worker accepts.
      const accepted = acceptedVariables('worker');
      for (const [host, address, count] of [
        ['central1', '10.0.0.5', 2],
        ['worker1', '10.0.0.11', 4],
      ] as const) {
        const listed = targets('worker').find((group) => group.labels.host === host)!.targets;
        const fromDropIns = [1, 2, 3, 4, 5]
          .map((instance) => results[host]![`dropin${instance}`]!)
          .filter((text) => text !== '')
          .map((text) => {
            assert.match(text, /^\[Service\]$/m);
            const environment = new Map(
              [...text.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]),
            );
            for (const name of environment.keys()) assert.ok(accepted.has(name), `${name} is not a worker setting`);
            return `${environment.get('IMAGE_LOADER_METRICS_HOST')}:${environment.get('IMAGE_LOADER_METRICS_PORT')}`;
          });
        assert.equal(fromDropIns.length, count, host);
        assert.deepEqual(fromDropIns, listed, host);
        assert.ok(listed.every((target) => target.startsWith(`${address}:`)));
      }

      // systemd takes the drop-in for the shipped worker unit, and would say so if it did not.
      if (available('systemd-analyze')) {
        const dropIn = results.central1!.dropin1!;
        assert.equal(await verifyWorkerDropIn(join(dir.path, 'root'), dropIn), '');
        assert.notEqual(
          await verifyWorkerDropIn(join(dir.path, 'broken'), dropIn.replace('[Service]', '[Servce]')),
          '',
        );
      } else {
        process.stdout.write('# the rendered drop-ins were not verified: systemd-analyze is not installed\n');
      }

      // The jobs, then what Prometheus's own checker says of them with the targets, the token and the rules
      // where the playbook puts them.
      const scrape = file('scrape.yml');
      const jobs = (yamlValue(scrape) as { scrape_configs: Record<string, unknown>[] }).scrape_configs;
      assert.deepEqual(
        jobs.map((job) => job.job_name),
        ['image-loader-dashboard', 'image-loader-worker', 'image-loader-web', 'image-loader-node'],
      );
      assert.deepEqual(jobs[0]!.authorization, {
        type: 'Bearer',
        credentials_file: join(prometheusDir, 'dashboard-metrics-token'),
      });
      if (!commandAvailable('promtool')) {
        process.stdout.write(
          '# skipping promtool check config: promtool is not installed (Debian package prometheus)\n',
        );
        return t.skip('promtool is not installed (Debian package prometheus)');
      }
      await mkdir(prometheusDir);
      for (const name of ['dashboard', 'worker', 'web', 'node'])
        await writeFile(join(prometheusDir, `${name}-targets.yml`), file(`${name}-targets.yml`));
      await writeFile(join(prometheusDir, 'scrape.yml'), scrape);
      await writeFile(
        join(prometheusDir, 'dashboard-metrics-token'),
        `${extraVars.image_loader_dashboard_metrics_token}\n`,
      );
      await copyFile(
        join(REPO, 'helm-free-deploy', 'prometheus', 'image-loader-rules.yml'),
        join(prometheusDir, 'image-loader-rules.yml'),
      );
      // The README's recipe for a Prometheus without scrape_config_files (Debian 12's 2.42): the rules
      // file, and the jobs under scrape_configs.
      const main = join(dir.path, 'prometheus.yml');
      await writeFile(main, `rule_files: [${join(prometheusDir, 'image-loader-rules.yml')}]\n${scrape}`);
      const checked = promtool(['check', 'config', main]);
      assert.equal(checked.code, 0, checked.output);
      assert.match(checked.output, /SUCCESS: 1 rule files found/);
      assert.match(checked.output, /SUCCESS: \d+ rules found/);
      assert.doesNotMatch(checked.output, /FAILED|WARNING/);
      const alone = promtool(['check', 'config', join(prometheusDir, 'scrape.yml')]);
      assert.equal(alone.code, 0, alone.output);
    } finally {
      await dir.remove();
    }
  });
});
