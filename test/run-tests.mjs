#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's test runner.
// Node 20 does not expand globs and `node --test` with no files passes with
// 0 tests, so this lists the files itself and fails loudly when there are none.
// Usage: node test/run-tests.mjs [filter...]  (filters match file paths)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found = found.concat(walk(path));
    else if (entry.name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const files = walk(root)
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(
    `run-tests: no test files found under ${root}${filters.length ? ` matching ${filters.join(', ')}` : ''}; did the build run?`,
  );
  process.exit(1);
}
console.log(`run-tests: ${files.length} test files: ${files.map((file) => relative(root, file)).join(' ')}`);
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
