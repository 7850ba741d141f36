#!/usr/bin/env node
/*
 * The `image-loader` command's entry point. CommonJS on purpose: Node reads an ES module entry point through
 * libuv's thread pool, which fixes the pool's size from UV_THREADPOOL_SIZE as it starts, so only code that runs
 * before any ES module is loaded can still choose it (threadPoolSize). Then the ES module main runs as it is.
 */
import { availableParallelism } from 'node:os';
import { threadPoolSize } from './thread-pool-size.cjs';

// libuv reads an empty value as 0, that is 1 thread: empty means unset here, and for libuv too.
if (process.env.UV_THREADPOOL_SIZE === '') delete process.env.UV_THREADPOOL_SIZE;
const size = threadPoolSize({
  command: process.argv[2],
  cores: availableParallelism(),
  configured: process.env.UV_THREADPOOL_SIZE,
});
if (size !== undefined) process.env.UV_THREADPOOL_SIZE = String(size);
import('./main.js').catch((error: unknown) => {
  process.stderr.write(`image-loader: cannot load the program: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 70;
});
