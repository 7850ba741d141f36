import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** The rule file shipped in the deploy folder (tests run from dist/test, the YAML stays in the source tree). */
export const RULES_FILE = new URL('../../helm-free-deploy/prometheus/image-loader-rules.yml', import.meta.url).pathname;
export const RULES_TEST_FILE = new URL('../../helm-free-deploy/prometheus/image-loader-rules.test.yml', import.meta.url)
  .pathname;

export function commandAvailable(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs promtool with `input` on its standard input. */
export function promtool(args: string[], input?: string): { code: number | null; output: string } {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** One scrape job: targets as host:port, an optional bearer token file. */
export interface ScrapeJob {
  job: string;
  targets: string[];
  bearerTokenFile?: string;
}

export interface PrometheusServer {
  url: string;
  /** An instant query: the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A real `prometheus` (the Debian package) on a free loopback port, scraping
 * `jobs` every second with the shipped rules loaded.
 */
export async function startPrometheus(dir: string, jobs: ScrapeJob[]): Promise<PrometheusServer> {
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [RULES_FILE],
    scrape_configs: jobs.map((job) => ({
      job_name: job.job,
      static_configs: [{ targets: job.targets }],
      ...(job.bearerTokenFile === undefined
        ? {}
        : { authorization: { type: 'Bearer', credentials_file: job.bearerTokenFile } }),
    })),
  };
  const configFile = join(dir, 'prometheus.yml');
  // JSON is YAML.
  await writeFile(configFile, JSON.stringify(config, null, 2));
  let log = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  await waitFor(
    async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200 || child.exitCode !== null,
    20_000,
    'prometheus to be ready',
  );
  if (child.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
  return {
    url,
    get,
    query: async (expr) =>
      (
        await get<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
