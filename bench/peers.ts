import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_LOADER_CLI } from '../harness/cli-process.js';
import type { Command } from './measure.js';

/**
 * The command lines of every tool the bench compares, in one place, so the
 * same list and the same concurrency reach each of them.
 */
export type ToolName =
  | 'image-loader'
  | 'image-loader-metrics'
  | 'curl'
  | 'aria2c'
  | 'curl-floor'
  | 'undici-floor'
  | 'undici-discard';

/** The list in each tool's input format, written once per scenario. */
export interface ListFiles {
  /** One URL a line: image-loader, aria2c and the undici floor. */
  listFile: string;
  /** `url = "..."` lines: curl (10,000 arguments would be too many for one command line). */
  curlConfigFile: string;
}

export async function writeListFiles(urls: string[], dir: string): Promise<ListFiles> {
  const listFile = join(dir, 'urls.txt');
  const curlConfigFile = join(dir, 'urls.curlrc');
  await writeFile(listFile, urls.map((url) => `${url}\n`).join(''));
  await writeFile(curlConfigFile, urls.map((url) => `url = "${url}"\n`).join(''));
  return { listFile, curlConfigFile };
}

/**
 * `image-loader fetch`; `--per-host` is passed because one origin is the only host, and 16 connections is what the
 * peers get. `metrics` adds `--metrics-port 0`: the same run with its Prometheus registry filled and served.
 */
export function imageLoaderCommand(
  lists: ListFiles,
  storeDir: string,
  concurrency: number,
  perHost: number,
  metrics = false,
): Command {
  return {
    command: process.execPath,
    args: [
      IMAGE_LOADER_CLI,
      'fetch',
      lists.listFile,
      '--store',
      storeDir,
      '--allow-private',
      '--concurrency',
      String(concurrency),
      '--per-host',
      String(perHost),
      '--json',
      '--quiet',
      ...(metrics ? ['--metrics-port', '0'] : []),
    ],
  };
}

export function curlCommand(lists: ListFiles, outputDir: string, concurrency: number): Command {
  return {
    command: 'curl',
    args: [
      '-s',
      '-Z',
      '--parallel-max',
      String(concurrency),
      '--remote-name-all',
      '--output-dir',
      outputDir,
      '--config',
      lists.curlConfigFile,
    ],
  };
}

/** aria2c; `conditional` re-runs on an existing directory with If-Modified-Since (its file's mtime). */
export function aria2cCommand(lists: ListFiles, outputDir: string, concurrency: number, conditional: boolean): Command {
  const args = [
    `-j${concurrency}`,
    '-x1',
    '-i',
    lists.listFile,
    '-d',
    outputDir,
    '--auto-file-renaming=false',
    '--allow-overwrite=true',
    '--console-log-level=warn',
    '--summary-interval=0',
  ];
  if (conditional) args.unshift('--conditional-get=true');
  return { command: 'aria2c', args };
}

/** The compiled undici floor script (bench/undici-floor.ts). */
const UNDICI_FLOOR_SCRIPT = new URL('./undici-floor.js', import.meta.url).pathname;

/**
 * undici 7 alone (bench/undici-floor.ts), in its own Node process like image-loader: `concurrency` downloads in
 * flight over `perHost` connections, each body to a temp file renamed into `outputDir`, or with `discard` dropped.
 */
export function undiciFloorCommand(
  lists: ListFiles,
  outputDir: string,
  concurrency: number,
  perHost: number,
  discard: boolean,
): Command {
  return {
    command: process.execPath,
    args: [
      UNDICI_FLOOR_SCRIPT,
      lists.listFile,
      outputDir,
      String(concurrency),
      String(perHost),
      ...(discard ? ['--discard'] : []),
    ],
  };
}

/** The loopback-plus-disk floor: one file of the scenario's total bytes in one request. */
export function curlFloorCommand(url: string, file: string): Command {
  return { command: 'curl', args: ['-s', '-o', file, url] };
}
