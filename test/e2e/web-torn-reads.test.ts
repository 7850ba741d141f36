import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli, startCli } from '../../harness/cli-process.js';
import { startFleetProcess } from '../../harness/fleet-processes.js';
import { rawRequest } from '../../harness/http-get.js';
import { startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';

const IMAGES = 500;
const CLIENTS = 64;

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('readers never see a torn image', () => {
  // With the image cache (the default: small images answered from memory) and without it (every answer from the file).
  for (const [cacheLabel, cacheFlags] of [
    ['the image cache on', []],
    ['--cache-size 0', ['--cache-size', '0']],
  ] as const)
    it(`${CLIENTS} clients reading while a round replaces ${IMAGES} images get the old or the new bytes, never a mix, never a 5xx (${cacheLabel})`, async () => {
      const origin = await startImageOrigin();
      const dir = await tempDir();
      const web = { process: undefined as ReturnType<typeof startFleetProcess> | undefined };
      const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
      try {
        const paths = Array.from({ length: IMAGES }, (_, i) => `/torn/${i}.png`);
        const versions = paths.map(
          (_, i) => [makePng(`old ${i}`, 24 + (i % 9)), makePng(`new ${i}`, 24 + ((i + 4) % 9))] as const,
        );
        for (const [i, path] of paths.entries()) origin.set(path, { kind: 'image', body: versions[i]![0] });
        const list = join(dir.path, 'list.txt');
        await writeFile(list, paths.map((path) => `${origin.url}${path}`).join('\n'));
        const store = join(dir.path, 'store');
        const first = await runCli(['fetch', list, '--store', store, '--allow-private', '--json']);
        assert.equal(first.code, 0, first.stderr);
        const entries = (JSON.parse(first.stdout) as RoundSummary).entries;
        const allowed = entries.map((entry) => {
          const i = Number(new URL(entry.url).pathname.match(/(\d+)\.png$/)![1]);
          return {
            url: `/${entry.path!.split('/').map(encodeURIComponent).join('/')}`,
            hashes: new Set(versions[i]!.map(sha)),
            newHash: sha(versions[i]![1]),
          };
        });

        web.process = startFleetProcess(['web', '--store', store, '--port', '0', '--host', '127.0.0.1', ...cacheFlags]);
        const port = (await web.process.waitForLog((line) => line.msg === 'web server listening')).port as number;
        const get = (path: string) => rawRequest(port, path, { agent });

        for (const [i, path] of paths.entries()) origin.set(path, { kind: 'image', body: versions[i]![1] });
        const second = startCli(['fetch', list, '--store', store, '--allow-private', '--json', '--concurrency', '32']);
        let running = true;
        void second.done.then(() => (running = false));
        const counts = { requests: 0, old: 0, new: 0, problems: [] as string[] };
        const client = async (n: number): Promise<void> => {
          // Keep reading while the round runs, then one more full pass so every image is seen in its new version.
          for (let k = n; running || k < n + IMAGES; k += CLIENTS) {
            const target = allowed[k % IMAGES]!;
            const response = await get(target.url);
            counts.requests++;
            const hash = sha(response.body);
            if (response.status !== 200) counts.problems.push(`${target.url}: HTTP ${response.status}`);
            else if (!target.hashes.has(hash))
              counts.problems.push(`${target.url}: ${response.body.length} bytes that are neither version`);
            else if (hash === target.newHash) counts.new++;
            else counts.old++;
          }
        };
        await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
        const result = await second.done;
        assert.equal(result.code, 0, result.stderr);
        assert.equal((JSON.parse(result.stdout) as RoundSummary).counts.downloaded, IMAGES);
        process.stdout.write(
          `# torn-read check (${cacheLabel}): ${counts.requests} responses checked (${counts.old} old, ${counts.new} new) by ${CLIENTS} clients during and after a round replacing ${IMAGES} images\n`,
        );
        assert.deepEqual(counts.problems.slice(0, 5), []);
        assert.ok(
          counts.old > 0 && counts.new > 0,
          'the readers saw both versions: they really read during the replacement',
        );
        // After the round, every image is the new one.
        for (const target of allowed.slice(0, 50)) assert.equal(sha((await get(target.url)).body), target.newHash);
      } finally {
        agent.destroy();
        await web.process?.stop();
        await origin.close();
        await dir.remove();
      }
    });
});
