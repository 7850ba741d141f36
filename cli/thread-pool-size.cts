/**
 * How many threads libuv's pool gets, decided before Node starts reading files through it (cli/image-loader.cts).
 * Every file-system call of a download (open, write, close, the link into the blob folder, the rename onto the
 * name) is a pool round trip. On a machine with 2 cores, 4 pool threads preempt the main thread, which is what
 * `fetch` waits on: with 2, the bench's 10,000 x 10 KiB list took 4.23 s against 4.72 s, its 200 x 5 MiB list
 * 2.53 s against 2.87 s (alternating runs, medians of 4), the 2,000 x 50 KiB list at 50 ms the same. Pruning's
 * unlinks overlap less with 2 (issue 12's rounds: about 2 points more of a round), and on an NFS store fewer
 * calls wait on the server at once: the other commands, whose store is usually on NFS, keep libuv's 4.
 * An operator's UV_THREADPOOL_SIZE always wins.
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
