import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { runCli } from '../../harness/cli-process.js';
import { rawRequest } from '../../harness/http-get.js';
import { startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { waitFor } from '../../harness/wait-for.js';

const CLI = new URL('../../cli/image-loader.cjs', import.meta.url).pathname;

function readOnlyBindMountsWork(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (for unshare --mount and a read-only bind mount)';
  const probe = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount --bind / /mnt && mount -o remount,bind,ro /mnt'], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? false : `unshare --mount with a read-only bind mount failed here: ${probe.stderr.trim()}`;
}

const skip = readOnlyBindMountsWork();
if (skip) process.stdout.write(`# skipping the read-only web node test: ${skip}\n`);

describe('web on a read-only view of the store (the stand-in for a read-only NFS mount)', { skip }, () => {
  it('serves images, listings and a healthy /healthz from a mount it cannot write to', async () => {
    const origin = await startImageOrigin();
    const dir = await tempDir();
    const web = { child: undefined as ReturnType<typeof spawn> | undefined };
    try {
      origin.set('/ro.png', { kind: 'image', body: makePng('read-only', 12) });
      await writeFile(join(dir.path, 'list.txt'), `${origin.url}/ro.png\n`);
      const store = join(dir.path, 'store');
      const fetched = await runCli([
        'fetch',
        join(dir.path, 'list.txt'),
        '--store',
        store,
        '--allow-private',
        '--json',
      ]);
      assert.equal(fetched.code, 0, fetched.stderr);
      const entry = (JSON.parse(fetched.stdout) as RoundSummary).entries[0]!;
      await writeFile(
        join(store, '.image-loader', 'heartbeat.json'),
        JSON.stringify({ schema: 'image-loader/heartbeat@1', at: new Date().toISOString(), everyMs: 300_000 }),
      );
      const view = join(dir.path, 'read-only-view');
      await mkdir(view);
      // In a mount namespace of its own: bind the store read-only, prove a write fails, then run the web node on it.
      const script = [
        `mount --bind "${store}" "${view}"`,
        `mount -o remount,bind,ro "${view}"`,
        `if touch "${view}/.image-loader/probe" 2>/dev/null; then echo WRITABLE; exit 3; fi`,
        'echo READ-ONLY',
        `exec "${process.execPath}" "${CLI}" web --store "${view}" --port 0 --host 127.0.0.1`,
      ].join(' && ');
      let output = '';
      web.child = spawn('unshare', ['--mount', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      web.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      web.child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(
        () => /"web server listening"/.test(output) || web.child!.exitCode !== null,
        10_000,
        'the web node',
      );
      assert.match(output, /^READ-ONLY$/m);
      const port = (
        JSON.parse(output.split('\n').find((line) => line.includes('"web server listening"'))!) as { port: number }
      ).port;

      const image = await rawRequest(port, `/${entry.path!.split('/').map(encodeURIComponent).join('/')}`);
      assert.equal(image.status, 200);
      assert.ok(image.body.equals(await readFile(join(store, entry.path!))));
      assert.equal((await rawRequest(port, '/', { headers: { accept: 'application/json' } })).status, 200);
      const health = await rawRequest(port, '/healthz');
      assert.equal(health.status, 200, health.body.toString());
      assert.doesNotMatch(output, /EROFS|error/i, 'nothing tried to write');
    } finally {
      web.child?.kill('SIGTERM');
      await origin.close();
      await dir.remove();
    }
  });
});
