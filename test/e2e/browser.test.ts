import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../../harness/browser.js';
import { runCli } from '../../harness/cli-process.js';
import {
  type FleetProcess,
  fleetEnv,
  roundCompleted,
  startCoordinator,
  startFleetProcess,
  startWorker,
} from '../../harness/fleet-processes.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { type RedisServer, redisServerMissing, startRedisServer } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';

const skip = chromiumMissing();
if (skip) process.stdout.write(`# skipping the browser tests: ${skip}\n`);

describe('in a real browser (headless Chromium)', { skip }, () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let web: FleetProcess;
  let browser: Browser;
  let base: string;
  let folder: string;
  let redis: RedisServer | undefined;
  const fleet: FleetProcess[] = [];

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    const paths = Array.from({ length: 6 }, (_, i) => `/gallery/picture-${i}.png`);
    for (const [i, path] of paths.entries()) origin.set(path, { kind: 'image', body: makePng(`browser ${i}`, 48) });
    await writeFile(join(dir.path, 'list.txt'), paths.map((path) => `${origin.url}${path}`).join('\n'));
    const store = join(dir.path, 'store');
    const fetched = await runCli(['fetch', join(dir.path, 'list.txt'), '--store', store, '--allow-private', '--json']);
    assert.equal(fetched.code, 0, fetched.stderr);
    const summary = JSON.parse(fetched.stdout) as RoundSummary;
    folder = summary.entries[0]!.path!.split('/').slice(0, -1).map(encodeURIComponent).join('/');
    web = startFleetProcess(['web', '--store', store, '--port', '0', '--host', '127.0.0.1']);
    base = `http://127.0.0.1:${(await web.waitForLog((line) => line.msg === 'web server listening')).port as number}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await Promise.all(fleet.map((process) => process.stop()));
    await redis?.stop();
    await web?.stop();
    await origin?.close();
    await dir?.remove();
  });

  it('the listing shows the host folder and leads to the images', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    const host = decodeURIComponent(folder.split('/')[0]!);
    assert.ok((await page.textContent('body'))!.includes(host));
    assert.ok(!(await page.textContent('body'))!.includes('.image-loader'));
    // The listing links a folder with its trailing slash: no redirect on the way.
    await page.click(`a[title="${host}"]`);
    await page.waitForURL(/\/$/);
    assert.ok((await page.textContent('body'))!.includes('gallery'));
    await page.screenshot({ path: await artifactPath('web-listing.png'), fullPage: true });
    await page.close();
  });

  it('the gallery shows every image, decoded by the browser', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/${folder}/?view=gallery`);
    // Page-side code as strings: the test compiles without the DOM's types.
    await page.waitForFunction(
      '[...document.images].every((image) => image.complete && image.naturalWidth > 0)',
      undefined,
      { timeout: 10_000 },
    );
    const images = (await page.evaluate(
      '[...document.images].map((image) => ({ width: image.naturalWidth, alt: image.alt }))',
    )) as Array<{ width: number; alt: string }>;
    assert.equal(images.length, 6);
    assert.ok(
      images.every((image) => image.width === 48),
      JSON.stringify(images),
    );
    assert.deepEqual(
      images.map((image) => image.alt),
      Array.from({ length: 6 }, (_, i) => `picture-${i}.png`),
    );
    await page.screenshot({ path: await artifactPath('web-gallery.png'), fullPage: true });
    await page.close();
  });

  it('the dashboard, with credentials: bull-board shows the queues, the rounds page the history and its chart', {
    skip: redisServerMissing(),
  }, async () => {
    redis = await startRedisServer({ dir: dir.path });
    const env = fleetEnv(redis.url, 'browser');
    fleet.push(startWorker(env, join(dir.path, 'fleet-store')));
    const coordinator = startCoordinator(env, join(dir.path, 'list.txt'), '--every', '1h');
    fleet.push(coordinator);
    const completed = await roundCompleted(coordinator);
    const dashboard = startFleetProcess(['dashboard', '--port', '0'], {
      ...env,
      IMAGE_LOADER_DASHBOARD_USER: 'ops',
      IMAGE_LOADER_DASHBOARD_PASSWORD: 'browser-s3cret',
    });
    fleet.push(dashboard);
    const url = `http://127.0.0.1:${(await dashboard.waitForLog((line) => line.msg === 'dashboard started')).port as number}`;

    const refused = await browser.newContext();
    // A browser without credentials gets the 401 challenge (a page load fails with ERR_INVALID_AUTH_CREDENTIALS headless).
    assert.equal((await refused.request.get(url)).status(), 401, 'no credentials, no dashboard');
    await assert.rejects((await refused.newPage()).goto(url), /ERR_INVALID_AUTH_CREDENTIALS/);
    await refused.close();

    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: 'browser-s3cret' } });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByText('downloads').first().waitFor({ timeout: 15_000 });
    assert.ok((await page.textContent('body'))!.includes('rounds'));
    await page.screenshot({ path: await artifactPath('dashboard-queues.png'), fullPage: true });

    await page.goto(`${url}/rounds`);
    assert.ok((await page.textContent('body'))!.includes(String(completed.roundId)));
    assert.equal((await page.locator('svg').count()) >= 1, true, 'the chart is there');
    await page.screenshot({ path: await artifactPath('dashboard-rounds.png'), fullPage: true });
    await context.close();
  });
});
