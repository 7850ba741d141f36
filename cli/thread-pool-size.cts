/**
 * How many threads libuv's pool gets, decided before Node starts reading files through it (cli/image-loader.cts).
 * Every file-system call of a download (open, write, close, the link into the blob folder, the rename onto the
 * name) is a pool round trip. On a machine with 2 cores, 4 pool threads preempt the main thread, which is what
 * `fetch` waits on: with 2, its rounds of small and large images were faster, pruning's unlinks overlap less
 * (figures: bench/RESULTS.md, "Per-URL cost"), and on an NFS store fewer calls wait on the server at once: the
 * other commands, whose store is usually on NFS, keep libuv's 4. An operator's UV_THREADPOOL_SIZE always wins
 * (an empty one counts as unset). `cores` is the CPUs the process may run on, not a cgroup's CPU quota.
 */
export function threadPoolSize(facts: {
  command: string | undefined;
  cores: number;
  /** UV_THREADPOOL_SIZE as the process found it. */
  configured: string | undefined;
}): number | undefined {
  if (facts.configured !== undefined && facts.configured !== '') return undefined;
  if (facts.command !== 'fetch') return undefined;
  return facts.cores <= 2 ? 2 : undefined;
}
