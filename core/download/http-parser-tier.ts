import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * Keeps undici's HTTP parser (llhttp, compiled to WebAssembly when the first connection opens) on V8's
 * baseline compiler, Liftoff. By default V8 soon compiles the parser's one very large function again with its
 * optimizing compiler on a background thread: measured on `fetch` of one 10 KiB image, that costs 0.1 s of
 * CPU and lifts peak RSS from 69 to 105 MiB (the compiler's working memory, and the process waits for the
 * compile to finish before it exits); of 200 x 5 MiB (bench scenario 2), from 97-99 to 120 MiB. The parser
 * reads only the status line and headers (a body is handed on in slices, not parsed byte by byte), so the
 * baseline code costs no measurable time (scenario 3's profile: the parser's WebAssembly is 1.2% of the main
 * thread's busy time, against 1.4% optimized).
 *
 * Process-wide V8 flags, set before the parser is compiled: call before the first request.
 */
export function keepHttpParserBaseline(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}
