import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { threadPoolSize } from '../../cli/thread-pool-size.cjs';

describe('threadPoolSize', () => {
  const cases: Array<
    [what: string, command: string | undefined, cores: number, configured: string | undefined, size: number | undefined]
  > = [
    ['fetch on 2 cores', 'fetch', 2, undefined, 2],
    ['fetch on 1 core', 'fetch', 1, undefined, 2],
    ["fetch on 4 cores: libuv's 4", 'fetch', 4, undefined, undefined],
    ["the operator's UV_THREADPOOL_SIZE wins", 'fetch', 2, '8', undefined],
    ['an empty UV_THREADPOOL_SIZE counts as unset', 'fetch', 2, '', 2],
    ['a worker (its store is usually on NFS)', 'worker', 2, undefined, undefined],
    ['a worker, UV_THREADPOOL_SIZE empty', 'worker', 2, '', undefined],
    ['web', 'web', 2, undefined, undefined],
    ['coordinator', 'coordinator', 2, undefined, undefined],
    ['no command', undefined, 2, undefined, undefined],
  ];
  for (const [what, command, cores, configured, size] of cases)
    test(what, () => assert.equal(threadPoolSize({ command, cores, configured }), size));
});
