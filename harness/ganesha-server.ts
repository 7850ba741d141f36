import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GroupProcess, startGroupProcess } from './group-process.js';

/** The shipped template (nfs/ganesha/), filled in by the tests. */
export const GANESHA_TEMPLATE = new URL('../../nfs/ganesha/image-loader.conf.in', import.meta.url).pathname;

export interface GaneshaValues {
  STORE: string;
  BIND_ADDR: string;
  NFS_PORT: number;
  RW_CLIENTS: string[];
  RO_CLIENTS: string[];
  STATE_DIR: string;
}

/** Fills in every `@NAME@` field outside comments; a field the test does not know is an error, not an invalid config. */
export function renderGaneshaConfig(template: string, values: GaneshaValues): string {
  const fill = (line: string): string =>
    line.replace(/@([A-Z_]+)@/g, (field, name: string) => {
      const value = (values as unknown as Record<string, unknown>)[name];
      if (value === undefined) throw new Error(`the ganesha template has a field ${field} the test does not fill in`);
      return Array.isArray(value) ? value.join(', ') : String(value);
    });
  return template
    .split('\n')
    .map((line) => (line.trimStart().startsWith('#') ? line : fill(line)))
    .join('\n');
}

/** Why nfs-ganesha with its VFS FSAL cannot run here, or false. */
export function ganeshaMissing(): string | false {
  if (spawnSync('ganesha.nfsd', ['-v'], { stdio: 'ignore' }).error)
    return 'ganesha.nfsd is not installed (apt-get install nfs-ganesha nfs-ganesha-vfs; .ci/run does)';
  const libDirs = ['/usr/lib64/ganesha', ...readdirSafe('/usr/lib').map((dir) => join('/usr/lib', dir, 'ganesha'))];
  if (!libDirs.some((dir) => existsSync(join(dir, 'libfsalvfs.so'))))
    return 'the VFS FSAL of nfs-ganesha is not installed (apt-get install nfs-ganesha-vfs; .ci/run does)';
  return false;
}

/**
 * ganesha.nfsd in the foreground (no systemd, no dbus: it logs that dbus is
 * missing and carries on), with its config, log, pid file and recovery
 * records under `dir`. NFSv4 only, so it needs no rpcbind (it logs that it
 * cannot register with one). Resolves once it logs that it is serving.
 */
export async function startGanesha(
  execPrefix: string[],
  dir: string,
  values: Omit<GaneshaValues, 'STATE_DIR'>,
): Promise<{ process: GroupProcess; log: string; config: string }> {
  const state = join(dir, 'state');
  await mkdir(state, { recursive: true });
  const config = join(dir, 'ganesha.conf');
  await writeFile(
    config,
    renderGaneshaConfig(await readFile(GANESHA_TEMPLATE, 'utf8'), { ...values, STATE_DIR: state }),
  );
  const log = join(dir, 'ganesha.log');
  const ganesha = startGroupProcess('ganesha.nfsd', [
    ...execPrefix,
    'ganesha.nfsd',
    '-F',
    '-f',
    config,
    '-L',
    log,
    '-p',
    join(dir, 'ganesha.pid'),
    '-N',
    'NIV_EVENT',
  ]);
  const started = Date.now();
  while (!(await readFile(log, 'utf8').catch(() => '')).includes('NFS SERVER INITIALIZED')) {
    if (ganesha.child.exitCode !== null || Date.now() - started > 15_000) {
      await ganesha.stop(1_000);
      throw new Error(
        `ganesha.nfsd did not start: ${(await readFile(log, 'utf8').catch(() => '')).slice(-3000)}${ganesha.output().stderr}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { process: ganesha, log, config };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
