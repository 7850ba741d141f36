#!/usr/bin/env node
/*
 * The `image-loader` command's entry point. CommonJS on purpose: Node reads an ES module entry point through
 * libuv's thread pool, which fixes the pool's size from UV_THREADPOOL_SIZE as it starts, so only code that runs
 * before any ES module is loaded can still choose it (threadPoolSize). Then the ES module main runs as it is.
 */
import { availableParallelism } from 'node:os';
import { threadPoolSize } from './thread-pool-size.cjs';

const size = threadPoolSize({
  command: process.argv[2],
  cores: availableParallelism(),
  configured: process.env.UV_THREADPOOL_SIZE,
});
if (size !== undefined) process.env.UV_THREADPOOL_SIZE = String(size);
void import('./main.js');
