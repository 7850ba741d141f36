import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCli } from '../../harness/cli-process.js';
import { rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

describe('fetch --serve: the one-machine setup, downloading and serving', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir();
    origin.set('/a.png', { kind: 'image', body: makePng('served a') });
    origin.set('/b.png', { kind: 'image', body: makePng('served b') });
  });
  after(async () => {
    await origin.close();
    await dir.remove();
  });

  it('serves the store with the web app after the round, until SIGTERM; exit 0', async () => {
    const list = join(dir.path, 'list.txt');
    await writeFile(list, `${origin.url}/a.png\n${origin.url}/b.png\n`);
    const store = join(dir.path, 'store');
    const fetch = startCli([
      'fetch',
      list,
      '--store',
      store,
      '--allow-private',
      '--serve',
      '0',
      '--serve-host',
      '127.0.0.1',
    ]);
    const logLines = (): Array<Record<string, unknown>> =>
      fetch
        .output()
        .stderr.split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await waitFor(() => logLines().some((line) => line.msg === 'web server listening'), 10_000, 'the server');
    const port = logLines().find((line) => line.msg === 'web server listening')!.port as number;
    await waitFor(() => /Round finished/.test(fetch.output().stdout), 20_000, 'the round');
    assert.equal(fetch.child.exitCode, null, 'still serving after the round');

    const host = `127.0.0.1^3A${origin.port}^.http`;
    const image = await rawRequest(port, `/${encodeURIComponent(host)}/a.png`);
    assert.equal(image.status, 200);
    assert.ok(image.body.equals(await readFile(join(store, host, 'a.png'))));
    // The health probe looks at the store at most once a second: the round's summary shows up within that.
    await waitFor(async () => (await rawRequest(port, '/healthz')).status === 200, 3_000, 'a healthy store');
    const health = await rawRequest(port, '/healthz');
    assert.match(health.body.toString(), /"lastRoundFinishedAt"/);
    assert.ok(logLines().some((line) => line.msg === 'request' && line.status === 200));

    fetch.child.kill('SIGTERM');
    assert.equal((await fetch.done).code, 0);
  });
});
