import { spawnSync } from 'node:child_process';
import { copyFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * helm-free-deploy/ansible without hosts: its templates rendered with the roles' defaults and an inventory's
 * variables, and what the tools that read them on a real host say of them.
 */
export const REPO = new URL('../../', import.meta.url).pathname;
export const ANSIBLE_DIR = join(REPO, 'helm-free-deploy', 'ansible');

// No retry files, no cows, no host key prompts: the same output on every machine.
export const ANSIBLE_ENV = {
  ...process.env,
  ANSIBLE_NOCOWS: '1',
  ANSIBLE_RETRY_FILES_ENABLED: '0',
  ANSIBLE_HOST_KEY_CHECKING: '0',
  ANSIBLE_FORCE_COLOR: '0',
};

/** Runs a command to its end (2 minutes at most), by default in helm-free-deploy/ansible with ANSIBLE_ENV. */
export function runCommand(
  command: string,
  args: string[],
  cwd = ANSIBLE_DIR,
  env: NodeJS.ProcessEnv = ANSIBLE_ENV,
): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/** A `NAME: "{{ lookup(...) }}"` line for renderTemplates: one role's template. */
export function roleTemplate(name: string, role: string, template: string): string {
  return `${name}: "{{ lookup('ansible.builtin.template', roles_dir ~ '/${role}/templates/${template}') }}"`;
}

/**
 * Renders `entries` (`NAME: "{{ lookup(...) }}"` lines) for `hosts` of `dir`/inventory.ini, with the roles'
 * defaults, the inventory's variables and `extraVars`, by ansible's template lookup: nothing connects, runs a
 * module, installs or starts anything (the template module would run a module per file and host: tens of
 * seconds). Returns each host's rendered texts by NAME.
 */
export async function renderTemplates(
  dir: string,
  hosts: string[],
  entries: string[],
  extraVars: Record<string, unknown>,
): Promise<Record<string, Record<string, string>>> {
  const render = [
    `- hosts: ${hosts.join(',')}`,
    '  connection: local',
    '  gather_facts: false',
    '  roles: [image_loader_settings]',
    '  vars:',
    `    env_template: "${ANSIBLE_DIR}/templates/image-loader.env.j2"`,
    `    roles_dir: "${ANSIBLE_DIR}/roles"`,
    '  tasks:',
    '    - ansible.builtin.debug:',
    '        msg:',
    ...entries.map((entry) => `          ${entry}`),
    '',
  ].join('\n');
  await writeFile(join(dir, 'render.yml'), render);
  const rendered = runCommand(
    'ansible-playbook',
    ['-i', 'inventory.ini', 'render.yml', '-e', JSON.stringify({ image_loader_repo: REPO, ...extraVars })],
    dir,
    { ...ANSIBLE_ENV, ANSIBLE_ROLES_PATH: join(ANSIBLE_DIR, 'roles'), ANSIBLE_STDOUT_CALLBACK: 'json' },
  );
  if (rendered.status !== 0) throw new Error(`ansible-playbook render.yml: ${rendered.stdout}\n${rendered.stderr}`);
  const results = (
    JSON.parse(rendered.stdout) as {
      plays: { tasks: { hosts: Record<string, { msg: Record<string, string> }> }[] }[];
    }
  ).plays[0]!.tasks[0]!.hosts;
  return Object.fromEntries(Object.entries(results).map(([host, result]) => [host, result.msg]));
}

/**
 * What `systemd-analyze verify` says of image-loader-worker@1 with `dropIn` as its metrics drop-in, in a root
 * holding the distribution's units, the shipped worker unit and a stand-in for the command it runs ("" when
 * nothing: verify exits 0 after most problems, so any output is one).
 */
export async function verifyWorkerDropIn(root: string, dropIn: string): Promise<string> {
  const units = join(root, 'usr/lib/systemd/system');
  await cp('/usr/lib/systemd/system', units, { recursive: true });
  await copyFile(
    join(REPO, 'helm-free-deploy/systemd/image-loader-worker@.service'),
    join(units, 'image-loader-worker@.service'),
  );
  await mkdir(join(root, 'usr/bin'));
  await writeFile(join(root, 'usr/bin/image-loader'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const dropInDir = join(root, 'etc/systemd/system/image-loader-worker@1.service.d');
  await mkdir(dropInDir, { recursive: true });
  await writeFile(join(dropInDir, 'image-loader-metrics.conf'), dropIn);
  const verified = runCommand('systemd-analyze', ['verify', `--root=${root}`, 'image-loader-worker@1.service'], root);
  return `${verified.stdout}${verified.stderr}`.trim() || (verified.status === 0 ? '' : `exit code ${verified.status}`);
}

/** A YAML document as a value (PyYAML comes with ansible-core). */
export function yamlValue(text: string): unknown {
  const parsed = spawnSync(
    'python3',
    ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: text, encoding: 'utf8' },
  );
  if (parsed.status !== 0) throw new Error(`python3 yaml.safe_load: ${parsed.stderr}`);
  return JSON.parse(parsed.stdout);
}
