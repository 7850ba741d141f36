import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliProcess, runCli, startCli } from '../../harness/cli-process.js';
import { rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { commandAvailable, promtool, RULES_FILE, RULES_TEST_FILE } from '../../harness/prometheus.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';
import { startWebNode } from '../../harness/web-node.js';

const PROMTOOL = commandAvailable('promtool');
const SKIP_REASON = 'promtool is not installed (Debian package prometheus)';

/** The port `fetch` logged on stderr in its `msg` line; 0 until that line is there. */
function loggedPort(fetch: CliProcess, msg: string): number {
  const line = fetch
    .output()
    .stderr.split('\n')
    .find((text) => text.includes(`"${msg}"`));
  return line === undefined ? 0 : (JSON.parse(line) as { port: number }).port;
}

describe('alert rules and metric endpoints, checked by promtool', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    if (!PROMTOOL) console.log(`skipping promtool checks: ${SKIP_REASON}`);
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  test('promtool check rules: the shipped rules are valid', (t) => {
    if (!PROMTOOL) return t.skip(SKIP_REASON);
    const result = promtool(['check', 'rules', RULES_FILE]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS: 7 rules found/);
  });

  test('promtool test rules: every alert fires on its series and stays silent on healthy ones', (t) => {
    if (!PROMTOOL) return t.skip(SKIP_REASON);
    const result = promtool(['test', 'rules', RULES_TEST_FILE]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  test('fetch --every --metrics-port: round and download metrics, valid for promtool check metrics', async (t) => {
    origin.set('/a.png', { kind: 'image', body: makePng('a') });
    const list = join(dir.path, 'list.txt');
    await writeFile(list, `${origin.url}/a.png\n${origin.url}/missing.png\n`);
    const fetch = startCli(
      ['fetch', list, '--store', join(dir.path, 'store'), '--allow-private', '--every', '1h', '--metrics-port', '0'],
      { timeoutMs: 30_000 },
    );
    try {
      let port = 0;
      await waitFor(
        () => {
          port = loggedPort(fetch, 'metrics listening');
          return port > 0 && fetch.output().stdout.includes('failed');
        },
        20_000,
        `fetch's metrics and first round; stderr: ${fetch.output().stderr}`,
      );
      const response = await rawRequest(port, '/metrics');
      assert.equal(response.status, 200);
      const text = response.body.toString();
      assert.match(text, /^image_loader_rounds_total\{result="complete"\} 1$/m);
      assert.match(text, /^image_loader_last_round_urls\{outcome="stored"\} 1$/m);
      assert.match(text, /^image_loader_last_round_urls\{outcome="failed"\} 1$/m);
      assert.match(text, /^image_loader_last_round_failures\{code="IMG_ERR_HTTP_STATUS"\} 1$/m);
      assert.match(text, /^image_loader_downloads_total\{outcome="stored"\} 1$/m);
      assert.match(text, /^image_loader_downloads_total\{outcome="failed",code="IMG_ERR_HTTP_STATUS"\} 1$/m);
      assert.match(text, /^process_cpu_seconds_total /m);
      assert.equal((await rawRequest(port, '/other')).status, 404);
      if (!PROMTOOL) return t.skip(SKIP_REASON);
      const checked = promtool(['check', 'metrics'], text);
      assert.equal(checked.code, 0, checked.output);
    } finally {
      fetch.child.kill('SIGTERM');
      assert.equal((await fetch.done).code, 0);
    }
  });

  test('fetch --every --serve: the round and download metrics beside the web metrics on the served port', async (t) => {
    const list = join(dir.path, 'serve-list.txt');
    await writeFile(list, `${origin.url}/a.png\n`);
    const fetch = startCli(
      [
        'fetch',
        list,
        '--store',
        join(dir.path, 'store'),
        '--allow-private',
        '--every',
        '1h',
        '--serve',
        '0',
        '--serve-host',
        '127.0.0.1',
      ],
      { timeoutMs: 30_000 },
    );
    try {
      let port = 0;
      await waitFor(
        () => {
          port = loggedPort(fetch, 'web server listening');
          return port > 0 && /unchanged/.test(fetch.output().stdout);
        },
        20_000,
        `fetch --serve and its first round; stderr: ${fetch.output().stderr}`,
      );
      const text = (await rawRequest(port, '/metrics')).body.toString();
      assert.match(text, /^image_loader_rounds_total\{result="complete"\} 1$/m);
      assert.match(text, /^image_loader_last_round_urls\{outcome="unchanged"\} 1$/m);
      assert.match(text, /^image_loader_downloads_total\{outcome="unchanged"\} 1$/m);
      assert.ok(text.includes('# TYPE image_loader_web_requests_total counter'), 'the web metrics are there too');
      if (!PROMTOOL) return t.skip(SKIP_REASON);
      const checked = promtool(['check', 'metrics'], text);
      assert.equal(checked.code, 0, checked.output);
    } finally {
      fetch.child.kill('SIGTERM');
      assert.equal((await fetch.done).code, 0);
    }
  });

  test('the web node: promtool check metrics passes on its /metrics', async (t) => {
    const node = await startWebNode(join(dir.path, 'store'));
    try {
      const response = await rawRequest(node.port, '/metrics');
      assert.equal(response.status, 200);
      if (!PROMTOOL) return t.skip(SKIP_REASON);
      const checked = promtool(['check', 'metrics'], response.body.toString());
      assert.equal(checked.code, 0, checked.output);
    } finally {
      await node.process.stop();
    }
  });

  test('--metrics-port in use: a clear error naming the setting, exit 2, for fetch, worker and coordinator', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const list = join(dir.path, 'list.txt');
      const runs = [
        ['fetch', list, '--store', join(dir.path, 'store'), '--metrics-port', port],
        ['worker', '--store', join(dir.path, 'store'), '--metrics-port', port, '--redis', 'redis://127.0.0.1:1'],
        ['coordinator', '--list', list, '--metrics-port', port, '--redis', 'redis://127.0.0.1:1'],
      ];
      for (const args of runs) {
        const result = await runCli(args, { timeoutMs: 20_000 });
        assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
        assert.match(
          result.stderr,
          new RegExp(
            `IMG_ERR_INVALID_CONFIG: --metrics-port \\(IMAGE_LOADER_METRICS_PORT\\): cannot listen on 127\\.0\\.0\\.1 port ${port}: EADDRINUSE`,
          ),
          args[0],
        );
      }
      // Listening for metrics does not keep a process that cannot start from exiting.
      await writeFile(join(dir.path, 'a-file'), '');
      for (const command of ['fetch', 'worker']) {
        const args =
          command === 'fetch'
            ? ['fetch', list, '--store', join(dir.path, 'a-file', 'store'), '--metrics-port', '0']
            : ['worker', '--store', join(dir.path, 'a-file', 'store'), '--metrics-port', '0'];
        const failed = await runCli(args, { timeoutMs: 20_000 });
        assert.equal(failed.code, 2, `${command}: ${failed.stderr}`);
        assert.match(failed.stderr, /IMG_ERR_STORE/);
      }
      const bad = await runCli(['worker', '--store', join(dir.path, 'store'), '--metrics-host', 'nowhere'], {
        timeoutMs: 20_000,
      });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--metrics-host: expected an IP address/);
    } finally {
      taken.close();
    }
  });
});
