import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { FleetKeys, jobIdForUrl } from '../../core/fleet/fleet-keys.js';
import { RoundLedger } from '../../core/fleet/round-ledger.js';
import { fleetRoundSummary, historySummary, newRoundState } from '../../core/fleet/round-state.js';
import { newRoundId } from '../../core/round/round-id.js';
import type { UrlEntry } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { type FleetProcess, startFleetProcess } from '../../harness/fleet-processes.js';
import { type RawResponse, rawRequest } from '../../harness/http-get.js';
import { type RedisServer, redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

const skip = redisServerMissing();
const PREFIX = 'dash-e2e';
const HOSTILE_CODE = '<img src=x onerror=alert(1)>';

interface Dashboard {
  process: FleetProcess;
  port: number;
  request(method: string, path: string, headers?: Record<string, string>): Promise<RawResponse & { text: string }>;
}

describe('dashboard: bull-board and the round history over HTTP, on a real Redis', { skip }, () => {
  let redis: RedisServer;
  let dir: { path: string; remove(): Promise<void> };
  const seeded: Array<{ roundId: string; downloaded: number; unchanged: number; failed: number }> = [];
  const dashboards: FleetProcess[] = [];
  /** No credentials (later also the one that sees Redis go away); basic auth, read-only; basic auth with --allow-actions. */
  let open: Dashboard;
  let guarded: Dashboard;
  let actions: Dashboard;

  const startDashboard = async (args: string[], env: Record<string, string> = {}): Promise<Dashboard> => {
    const process = startFleetProcess(['dashboard', '--port', '0', ...args], {
      IMAGE_LOADER_REDIS: redis.url,
      IMAGE_LOADER_PREFIX: PREFIX,
      ...env,
    });
    dashboards.push(process);
    const started = await process.waitForLog(
      (line) => line.msg === 'dashboard started',
      15_000,
      'the dashboard to start',
    );
    const port = started.port as number;
    return {
      process,
      port,
      request: async (method, path, headers = {}) => {
        const response = await rawRequest(port, path, { method, headers: { Host: `127.0.0.1:${port}`, ...headers } });
        return { ...response, text: response.body.toString('utf8') };
      },
    };
  };
  const basic = (user: string, password: string): Record<string, string> => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });

  before(async () => {
    dir = await tempDir();
    redis = await startRedisServer({ dir: dir.path });
    // A round history written the way a coordinator writes it: through the ledger, begun and finished.
    const client = new Redis(redis.url);
    const ledger = new RoundLedger(client, new FleetKeys(PREFIX));
    const start = Date.now() - 15 * 60_000;
    const rounds = [
      { offsetMs: 0, downloaded: 5, unchanged: 0, failures: [] as string[], trigger: 'schedule' as const },
      {
        offsetMs: 5 * 60_000,
        downloaded: 2,
        unchanged: 3,
        failures: ['IMG_ERR_HTTP_STATUS', 'IMG_ERR_NOT_AN_IMAGE'],
        trigger: 'schedule' as const,
      },
      { offsetMs: 10 * 60_000, downloaded: 0, unchanged: 4, failures: [HOSTILE_CODE], trigger: 'manual' as const },
    ];
    for (const round of rounds) {
      const startedAt = start + round.offsetMs;
      const state = newRoundState({
        roundId: newRoundId(new Date(startedAt)),
        list: 'urls.txt',
        startedAt,
        trigger: round.trigger,
        coordinator: 'test/1',
        driverJobId: '1',
      });
      const entries: UrlEntry[] = [];
      const add = (status: UrlEntry['status'], code?: string): void => {
        const line = entries.length + 1;
        entries.push({
          url: `http://origin.test/${line}.png`,
          line,
          status,
          ...(code === undefined ? {} : { error: { code, message: 'seeded' } }),
        });
      };
      for (let i = 0; i < round.downloaded; i++) add('downloaded');
      for (let i = 0; i < round.unchanged; i++) add('unchanged');
      for (const code of round.failures) add('failed', code);
      assert.ok(await ledger.begin(state));
      assert.ok(
        await ledger.finish(state.roundId, historySummary(fleetRoundSummary(state, entries, [], startedAt + 4200))),
      );
      seeded.push({
        roundId: state.roundId,
        downloaded: round.downloaded,
        unchanged: round.unchanged,
        failed: round.failures.length,
      });
    }
    // One waiting download job, so the queues the dashboard shows are the fleet's (its prefix).
    const downloads = new Queue('downloads', { connection: client, prefix: PREFIX });
    await downloads.add(
      'download',
      { url: 'http://origin.test/waiting.png', roundId: 'r' },
      { jobId: jobIdForUrl('http://origin.test/waiting.png') },
    );
    await downloads.close();
    client.disconnect();
    // Started together: each takes most of a second to load bull-board and BullMQ.
    await writeFile(join(dir.path, 'dashboard-password'), 'correct horse battery\n', { mode: 0o600 });
    [open, guarded, actions] = await Promise.all([
      startDashboard([]),
      startDashboard(['--user', 'ops'], { IMAGE_LOADER_DASHBOARD_PASSWORD_FILE: join(dir.path, 'dashboard-password') }),
      startDashboard(['--allow-actions'], {
        IMAGE_LOADER_DASHBOARD_USER: 'ops',
        IMAGE_LOADER_DASHBOARD_PASSWORD: 's3cret',
      }),
    ]);
  });
  after(async () => {
    await Promise.all(dashboards.map((process) => process.stop()));
    await redis?.stop();
    await dir?.remove();
  });

  const assertRoundsPage = (text: string): void => {
    assert.match(text, /<svg /);
    for (const round of seeded) {
      assert.match(
        text,
        new RegExp(
          `<code>${round.roundId}</code>.*?<td>${round.downloaded}</td><td>${round.unchanged}</td><td( class="failed-some")?>${round.failed}</td>`,
        ),
      );
    }
    assert.ok(text.includes('<code>IMG_ERR_HTTP_STATUS</code> 1<br><code>IMG_ERR_NOT_AN_IMAGE</code> 1'));
    assert.ok(text.includes('&lt;img src=x onerror=alert(1)&gt;'), 'a hostile failure code is shown escaped');
    assert.ok(!text.includes(HOSTILE_CODE));
  };

  describe('without credentials', () => {
    it('listens on 127.0.0.1 only and says so in a JSON log line', () => {
      const warning = open.process.logs().find((line) => line.msg.startsWith('no credentials configured'));
      assert.equal(warning?.level, 'warn');
      assert.equal(warning?.address, '127.0.0.1');
      assert.equal(warning?.process, 'dashboard');
      const started = open.process.logs().find((line) => line.msg === 'dashboard started')!;
      assert.deepEqual(
        [started.address, started.auth, started.readOnly, started.url],
        ['127.0.0.1', 'none', true, `http://127.0.0.1:${open.port}/`],
      );
    });

    it('serves bull-board and the rounds page, and nothing addressed to another name (DNS rebinding)', async () => {
      assert.equal((await open.request('GET', '/')).status, 200);
      const rounds = await open.request('GET', '/rounds', { Host: `localhost:${open.port}` });
      assert.equal(rounds.status, 200);
      assertRoundsPage(rounds.text);
      const rebound = await open.request('GET', '/api/queues', { Host: `evil.example:${open.port}` });
      assert.equal(rebound.status, 403);
      assert.equal(JSON.parse(rebound.text).reason, 'misdirected');
    });

    it('refuses a non-loopback --host: exit 2, IMG_ERR_INVALID_CONFIG', async () => {
      const result = await runCli(['dashboard', '--host', '0.0.0.0', '--port', '0'], {
        env: { IMAGE_LOADER_REDIS: redis.url },
      });
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        /^image-loader: IMG_ERR_INVALID_CONFIG: --host \(IMAGE_LOADER_DASHBOARD_HOST\) 0\.0\.0\.0 is not a loopback address, and no credentials are configured/,
      );
      assert.equal(result.stdout, '');
    });
  });

  describe('with credentials (password from a file), read-only', () => {
    const auth = basic('ops', 'correct horse battery');

    it('asks for credentials: 401 with WWW-Authenticate, on every route', async () => {
      for (const path of ['/', '/api/queues', '/rounds', '/static/images/logo.svg', '/no-such-page']) {
        const response = await guarded.request('GET', path);
        assert.equal(response.status, 401, path);
        assert.equal(response.headers['www-authenticate'], 'Basic realm="image-loader dashboard", charset="UTF-8"');
      }
    });

    it('a wrong password or user gets the same 401, which says nothing of which part was wrong', async () => {
      const wrongPassword = await guarded.request('GET', '/', basic('ops', 'correct horse'));
      const wrongUser = await guarded.request('GET', '/', basic('admin', 'correct horse battery'));
      assert.equal(wrongPassword.status, 401);
      assert.equal(wrongUser.status, 401);
      assert.equal(wrongPassword.text, wrongUser.text);
      assert.equal(wrongPassword.text, 'authentication required\n');
      await guarded.process.waitForLog((line) => line.msg === 'login failed', 5000);
    });

    it('the right credentials: bull-board, its API and the rounds page, with security headers', async () => {
      const board = await guarded.request('GET', '/', auth);
      assert.equal(board.status, 200);
      assert.match(board.text, /<title>image-loader fleet<\/title>/);
      assert.equal(board.headers['x-content-type-options'], 'nosniff');
      assert.equal(board.headers['x-frame-options'], 'DENY');
      assert.match(String(board.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(board.headers['referrer-policy'], 'same-origin');
      assert.equal(board.headers['x-powered-by'], undefined);

      const api = await guarded.request('GET', '/api/queues', auth);
      assert.equal(api.status, 200);
      const queues = (
        JSON.parse(api.text) as {
          queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number> }>;
        }
      ).queues;
      assert.deepEqual(queues.map((queue) => queue.name).sort(), ['downloads', 'rounds']);
      assert.ok(queues.every((queue) => queue.readOnlyMode));
      assert.equal(
        queues.find((queue) => queue.name === 'downloads')!.counts.waiting,
        1,
        "the fleet's queue, under its prefix",
      );

      const rounds = await guarded.request('GET', '/rounds', auth);
      assert.equal(rounds.status, 200);
      assertRoundsPage(rounds.text);
      assert.match(String(rounds.headers['content-security-policy']), /^default-src 'none'; style-src 'sha256-/);
    });

    it('is read-only: a bull-board action is refused even from its own pages', async () => {
      const own = { ...auth, Origin: `http://127.0.0.1:${guarded.port}` };
      for (const [method, path] of [
        ['PUT', '/api/queues/downloads/retry/failed'],
        ['PUT', '/api/queues/downloads/clean/waiting'],
        ['POST', '/api/queues/downloads/add'],
        ['PUT', '/api/queues/rounds/obliterate'],
      ] as const) {
        const response = await guarded.request(method, path, own);
        assert.equal(response.status, 403, `${method} ${path}`);
        assert.equal(JSON.parse(response.text).reason, 'read-only');
      }
    });

    it('logs every request as a JSON line, with the user', async () => {
      const line = await guarded.process.waitForLog(
        (entry) => entry.msg === 'request' && entry.path === '/rounds' && entry.status === 200,
      );
      assert.equal(line.user, 'ops');
      assert.equal(line.method, 'GET');
      assert.equal(typeof line.ms, 'number');
      assert.ok(
        guarded.process
          .logs()
          .some((entry) => entry.msg === 'request' && entry.status === 401 && entry.user === undefined),
      );
    });

    it('SIGTERM: closes the server and Redis, exit 0', async () => {
      assert.equal(await guarded.process.stop(), 0);
      assert.ok(guarded.process.logs().some((line) => line.msg === 'dashboard stopped'));
      await assert.rejects(guarded.request('GET', '/', auth), /ECONNREFUSED/);
    });
  });

  describe('with credentials (password from the environment) and --allow-actions', () => {
    const auth = basic('ops', 's3cret');

    it('a cross-site POST or PUT is refused (CSRF), credentials or not', async () => {
      for (const [method, path, headers] of [
        ['PUT', '/api/queues/downloads/retry/failed', { Origin: 'http://evil.example' }],
        ['POST', '/api/queues/downloads/add', { Origin: 'http://evil.example' }],
        ['PUT', '/api/queues/downloads/clean/waiting', { 'Sec-Fetch-Site': 'cross-site' }],
        ['PUT', '/api/queues/downloads/clean/waiting', { Referer: 'http://evil.example/page' }],
        ['PUT', '/api/queues/downloads/clean/waiting', {}],
      ] as const) {
        const response = await actions.request(method, path, { ...auth, ...headers });
        assert.equal(response.status, 403, `${method} ${path} ${JSON.stringify(headers)}`);
        assert.equal(JSON.parse(response.text).reason, 'cross-site');
      }
      const api = JSON.parse((await actions.request('GET', '/api/queues', auth)).text) as {
        queues: Array<{ name: string; counts: Record<string, number> }>;
      };
      assert.equal(api.queues.find((queue) => queue.name === 'downloads')!.counts.waiting, 1, 'nothing was cleaned');
    });

    it('a same-origin action passes the CSRF guard and takes effect; actions outside retry/clean/promote stay refused', async () => {
      const own = { ...auth, Origin: `http://127.0.0.1:${actions.port}` };
      assert.equal((await actions.request('PUT', '/api/queues/downloads/retry/failed', own)).status, 200);
      const cleaned = await actions.request(
        'PUT',
        `/api/queues/downloads/${jobIdForUrl('http://origin.test/waiting.png')}/clean`,
        { ...auth, 'Sec-Fetch-Site': 'same-origin' },
      );
      assert.ok(cleaned.status >= 200 && cleaned.status < 300, `${cleaned.status} ${cleaned.text}`);
      const api = JSON.parse((await actions.request('GET', '/api/queues', auth)).text) as {
        queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number> }>;
      };
      const downloads = api.queues.find((queue) => queue.name === 'downloads')!;
      assert.equal(downloads.readOnlyMode, false);
      assert.equal(downloads.counts.waiting, 0, 'the waiting job was cleaned');
      for (const [method, path] of [
        ['POST', '/api/queues/downloads/add'],
        ['PUT', '/api/queues/rounds/obliterate'],
        ['PUT', '/api/queues/rounds/job-schedulers/every-interval/remove'],
      ] as const) {
        const response = await actions.request(method, path, own);
        assert.equal(response.status, 403, `${method} ${path}`);
        assert.equal(JSON.parse(response.text).reason, 'action-not-allowed');
      }
    });

    it('brute force: after 10 failed logins in a minute, 429 with Retry-After, even for the right password', async () => {
      for (let i = 0; i < 10; i++)
        assert.equal((await actions.request('GET', '/api/queues', basic('ops', `guess${i}`))).status, 401);
      const limited = await actions.request('GET', '/api/queues', basic('ops', 'guess10'));
      assert.equal(limited.status, 429);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal((await actions.request('GET', '/api/queues', auth)).status, 429);
      assert.equal(
        actions.process.logs().filter((line) => line.msg === 'too many failed logins: refusing this client for a while')
          .length,
        1,
      );
    });
  });

  describe('when Redis stops answering or goes away', () => {
    it('a Redis that hangs: the rounds page says "Redis unreachable" after its timeout, and recovers', async () => {
      const pid = Number(/process_id:(\d+)/.exec(redis.cli('INFO', 'server'))![1]);
      process.kill(pid, 'SIGSTOP');
      try {
        const started = Date.now();
        const page = await open.request('GET', '/rounds');
        assert.equal(page.status, 503);
        assert.match(page.text, /<p class="error" role="alert">Redis unreachable: no answer within 3 s.<\/p>/);
        assert.ok(Date.now() - started < 6000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.equal((await open.request('GET', '/rounds')).status, 200);
    });

    it('Redis down: the rounds page and the API say so at once; the dashboard keeps serving and stops cleanly', async () => {
      await redis.stop();
      let page!: RawResponse & { text: string };
      await waitFor(
        async () => (page = await open.request('GET', '/rounds')).status === 503,
        10_000,
        'the rounds page to notice',
      );
      assert.match(page.text, /Redis unreachable: the dashboard has no connection to Redis right now/);
      const started = Date.now();
      const api = await open.request('GET', '/api/queues');
      assert.equal(api.status, 503);
      assert.equal(JSON.parse(api.text).reason, 'IMG_ERR_REDIS');
      assert.ok(Date.now() - started < 1000, 'answered at once, not queued until Redis is back');
      assert.equal((await open.request('GET', '/')).status, 200, "bull-board's page itself is still served");
      await open.process.waitForLog((line) => line.msg === 'redis unreachable; waiting for it');
      assert.equal(await open.process.stop(), 0);
      assert.ok(open.process.logs().some((line) => line.msg === 'dashboard stopped'));
    });
  });
});
