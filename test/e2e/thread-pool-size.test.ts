import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCli } from '../../harness/cli-process.js';
import { tempDir } from '../../harness/scratch-dir.js';

/**
 * The command's entry point sizes libuv's pool before Node starts it (cli/thread-pool-size.cts): a `fetch`
 * on 2 cores or fewer runs with 2 pool threads, 2 threads fewer than the same process told
 * UV_THREADPOOL_SIZE=4. Counted in /proc while the process waits on an origin that never answers.
 */
describe('the pool size the entry point chooses', () => {
  let origin: Server;
  let scratch: { path: string; remove(): Promise<void> };
  let list: string;
  let requests: (() => void)[] = [];
  before(async () => {
    scratch = await tempDir();
    origin = createServer(() => {
      for (const seen of requests) seen();
      requests = [];
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    list = join(scratch.path, 'list.txt');
    await writeFile(list, `http://127.0.0.1:${(origin.address() as AddressInfo).port}/never.jpg\n`);
  });
  after(async () => {
    origin.closeAllConnections();
    await new Promise((resolve) => origin.close(resolve));
    await scratch.remove();
  });

  /** Threads of a `fetch` waiting on its one request. */
  async function fetchThreads(env: Record<string, string>, store: string): Promise<number> {
    const requested = new Promise<void>((resolve) => requests.push(resolve));
    const cli = startCli(['fetch', list, '--store', join(scratch.path, store), '--allow-private', '--quiet'], {
      env,
      timeoutMs: 30_000,
    });
    try {
      await requested;
      return readdirSync(`/proc/${cli.child.pid}/task`).length;
    } finally {
      cli.child.kill('SIGKILL');
      await cli.done;
    }
  }

  test("fetch: 2 pool threads on 2 cores or fewer; the operator's UV_THREADPOOL_SIZE wins", async (t) => {
    if (process.platform !== 'linux') return t.skip('counts threads in /proc (Linux only)');
    const chosen = await fetchThreads({ UV_THREADPOOL_SIZE: '' }, 'a');
    const four = await fetchThreads({ UV_THREADPOOL_SIZE: '4' }, 'b');
    const expectedFewer = availableParallelism() <= 2 ? 2 : 0;
    assert.equal(four - chosen, expectedFewer, `threads: ${chosen} chosen, ${four} with UV_THREADPOOL_SIZE=4`);
  });
});
