import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFleetProcess } from '../../harness/fleet-processes.js';
import { rawRequest } from '../../harness/http-get.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('web --workers N: N processes on one port, one stop', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir();
    await mkdir(join(dir.path, 'store', 'example.com'), { recursive: true });
    await writeFile(join(dir.path, 'store', 'example.com', 'a.png'), makePng('workers', 16));
  });
  after(() => dir.remove());
  const startWorkers = (...extra: string[]) =>
    startFleetProcess([
      'web',
      '--store',
      join(dir.path, 'store'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--workers',
      '2',
      ...extra,
    ]);

  it('two workers serve the port; one that dies is started again; SIGTERM stops them all and the primary exits 0', async () => {
    const web = startWorkers();
    const listening = () => web.logs().filter((line) => line.msg === 'web server listening');
    await waitFor(() => listening().length === 2, 30_000, 'two workers listening');
    const [first, second] = listening();
    assert.equal(first!.port, second!.port, 'one port');
    const workerPids = listening().map((line) => line.pid as number);
    assert.notEqual(workerPids[0], workerPids[1]);
    assert.ok(!workerPids.includes(web.child.pid!), 'the primary serves nothing itself');
    for (let n = 0; n < 20; n++) {
      const response = await rawRequest(first!.port as number, '/example.com/a.png');
      assert.equal(response.status, 200);
      assert.ok(response.body.equals(makePng('workers', 16)));
    }

    process.kill(workerPids[0]!, 'SIGKILL');
    await waitFor(() => listening().length === 3, 30_000, 'a new worker in place of the killed one');
    const restarted = listening()[2]!.pid as number;
    assert.ok(!workerPids.includes(restarted));
    assert.ok(web.logs().some((line) => line.msg === 'web worker exited; starting another' && line.level === 'error'));
    assert.equal((await rawRequest(first!.port as number, '/example.com/a.png')).status, 200);

    const stoppedAt = Date.now();
    const code = await web.stop();
    assert.equal(code, 0);
    assert.ok(Date.now() - stoppedAt < 10_000, `stopped in ${Date.now() - stoppedAt} ms`);
    for (const pid of [workerPids[1]!, restarted]) assert.ok(!alive(pid), `worker ${pid} gone`);
    assert.equal(web.logs().filter((line) => line.msg === 'web node stopped').length, 3, 'each worker and the primary');
  });

  it('/metrics sums over the workers, whichever worker answers; --cache-size is the bound of the whole node', async () => {
    const web = startWorkers('--cache-size', '64KiB');
    try {
      const listening = () => web.logs().filter((line) => line.msg === 'web server listening');
      await waitFor(() => listening().length === 2, 30_000, 'two workers listening');
      const port = listening()[0]!.port as number;
      const images = 30;
      const servedBy = new Set<number>();
      for (let n = 0; n < images; n++) {
        // A new connection each time: the primary hands connections, not requests, to the workers in turn.
        const response = await rawRequest(port, '/example.com/a.png', { headers: { Connection: 'close' } });
        assert.equal(response.status, 200);
      }
      await waitFor(
        () => {
          for (const line of web.logs()) if (line.msg === 'request') servedBy.add(line.pid as number);
          return web.logs().filter((line) => line.msg === 'request').length === images;
        },
        10_000,
        'the access log lines of the image requests',
      );
      assert.equal(servedBy.size, 2, 'both workers answered image requests');
      const value = (text: string, series: string): number => {
        const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
        assert.ok(line, `${series} in /metrics`);
        return Number(line.split(' ')[1]);
      };
      for (let scrape = 0; scrape < 6; scrape++) {
        const response = await rawRequest(port, '/metrics', { headers: { Connection: 'close' } });
        assert.equal(response.status, 200);
        const text = response.body.toString('utf8');
        // Every earlier scrape was a GET answered 200 too, by one worker or the other.
        assert.equal(value(text, 'image_loader_web_requests_total{method="GET",status="200"}'), images + scrape);
        const healthy = value(text, 'image_loader_store_healthy');
        assert.ok(healthy === 0 || healthy === 1, `a gauge read from one source is not summed: ${healthy}`);
        assert.ok(value(text, 'image_loader_web_image_cache_bytes') <= 64 * 1024);
        assert.equal(
          value(text, 'image_loader_web_image_cache_hits_total') +
            value(text, 'image_loader_web_image_cache_misses_total'),
          images,
        );
      }
    } finally {
      assert.equal(await web.stop(), 0);
    }
  });
});
