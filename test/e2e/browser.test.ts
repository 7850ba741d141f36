import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { startImageOrigin, type ImageOrigin } from '../origin/image-origin.js';
import { makePng } from '../origin/sample-images.js';
import { artifactPath, CHROMIUM, chromiumMissing } from '../support/browser.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { startFleetProcess, type FleetProcess } from '../support/fleet-processes.js';

const skip = chromiumMissing();
if (skip) process.stdout.write(`# skipping the browser tests: ${skip}\n`);

describe('in a real browser (headless Chromium)', { skip }, () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let web: FleetProcess;
  let browser: Browser;
  let base: string;
  let folder: string;

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
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
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
    // serve-index links a folder without its trailing slash; the web node redirects to it.
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
    await page.waitForFunction('[...document.images].every((image) => image.complete && image.naturalWidth > 0)', undefined, { timeout: 10_000 });
    const images = (await page.evaluate('[...document.images].map((image) => ({ width: image.naturalWidth, alt: image.alt }))')) as Array<{ width: number; alt: string }>;
    assert.equal(images.length, 6);
    assert.ok(images.every((image) => image.width === 48), JSON.stringify(images));
    assert.deepEqual(images.map((image) => image.alt), Array.from({ length: 6 }, (_, i) => `picture-${i}.png`));
    await page.screenshot({ path: await artifactPath('web-gallery.png'), fullPage: true });
    await page.close();
  });
});
