import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RoundSummary } from '../core/round/round-summary.js';
import { imageFileName } from '../harness/origin/image-set.js';
import type { OriginCounters } from '../harness/origin/origin-client.js';

/** What checking a tool's output found. */
export interface Verification {
  ok: boolean;
  /** Files whose content matched. */
  verified: number;
  /** The first few problems, for the report. */
  problems: string[];
  /** image-loader only: entries by status, and how many were not asked for at all (fresh). */
  statuses?: Record<string, number>;
}

const MAX_PROBLEMS = 5;
const HASH_CONCURRENCY = 8;

/** A directory where curl/aria2c wrote `000000.jpg`... : every file must hash to its expected value. */
export async function verifyPlainDir(dir: string, expected: readonly string[]): Promise<Verification> {
  return verifyFiles(
    expected.map((sha256, index) => ({ file: join(dir, imageFileName(index)), sha256, what: imageFileName(index) })),
  );
}

/**
 * An image-loader store after a round: the `--json` summary must have one
 * good entry per URL with the expected sha256, and STORE/<path> must really
 * hold those bytes (the summary is not taken on trust).
 */
export async function verifyImageLoaderStore(
  storeDir: string,
  summaryFile: string,
  urls: readonly string[],
  expected: readonly string[],
): Promise<Verification> {
  let summary: RoundSummary;
  try {
    summary = JSON.parse(await readFile(summaryFile, 'utf8')) as RoundSummary;
  } catch (error) {
    return { ok: false, verified: 0, problems: [`no --json summary: ${(error as Error).message}`] };
  }
  const byUrl = new Map(summary.entries.map((entry) => [entry.url, entry]));
  const statuses: Record<string, number> = { fresh: 0 };
  for (const entry of summary.entries) {
    statuses[entry.status] = (statuses[entry.status] ?? 0) + 1;
    if (entry.attempts === 0) statuses.fresh!++;
  }
  const problems: string[] = [];
  const files: FileCheck[] = [];
  urls.forEach((url, index) => {
    const entry = byUrl.get(url);
    if (entry === undefined || entry.status === 'failed' || entry.path === undefined) {
      problems.push(`${url}: ${entry === undefined ? 'no entry' : `${entry.status} ${entry.error?.code ?? ''}`}`);
    } else if (entry.sha256 !== expected[index]) {
      problems.push(`${url}: summary sha256 ${entry.sha256} != expected`);
    } else {
      files.push({ file: join(storeDir, entry.path), sha256: expected[index]!, what: entry.path });
    }
  });
  const checked = await verifyFiles(files);
  const allProblems = [...problems, ...checked.problems].slice(0, MAX_PROBLEMS);
  return { ok: problems.length === 0 && checked.ok, verified: checked.verified, problems: allProblems, statuses };
}

/** One file of a known size and content (the floor). */
export async function verifySingleFile(file: string, sha256: string): Promise<Verification> {
  return verifyFiles([{ file, sha256, what: file }]);
}

/**
 * The undici floor with `--discard` keeps no file: its summary must count every URL, and as many body bytes as
 * the origin served during the run (`counters`, undefined when they could not be read).
 */
export async function verifyDiscardSummary(
  summaryFile: string,
  urls: number,
  counters: OriginCounters | undefined,
): Promise<Verification> {
  let summary: { urls?: unknown; bytes?: unknown };
  try {
    summary = JSON.parse(await readFile(summaryFile, 'utf8')) as typeof summary;
  } catch (error) {
    return { ok: false, verified: 0, problems: [`no summary: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  if (summary.urls !== urls) problems.push(`summary counts ${String(summary.urls)} URLs, expected ${urls}`);
  if (counters === undefined) problems.push("the origin's counters are unknown");
  else if (summary.bytes !== counters.bodyBytes)
    problems.push(`received ${String(summary.bytes)} body bytes, the origin served ${counters.bodyBytes}`);
  return { ok: problems.length === 0, verified: problems.length === 0 ? urls : 0, problems };
}

/** Every image as a server sends it: GET `baseUrl + path` must answer 200 with exactly the bytes of `sha256`. */
export async function verifyServedImages(
  baseUrl: string,
  images: readonly { path: string; sha256: string }[],
): Promise<Verification> {
  return verifyFiles(
    images.map((image) => ({ file: `${baseUrl}${image.path}`, sha256: image.sha256, what: image.path })),
    hashResponse,
  );
}

interface FileCheck {
  /** A path, or a URL for verifyServedImages. */
  file: string;
  sha256: string;
  what: string;
}

async function verifyFiles(
  checks: readonly FileCheck[],
  hash: (file: string) => Promise<string> = hashFile,
): Promise<Verification> {
  const problems: string[] = [];
  let verified = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) {
      const check = checks[next++]!;
      const actual = await hash(check.file).catch(
        (error: NodeJS.ErrnoException) => `unreadable (${error.code ?? error.message})`,
      );
      if (actual === check.sha256) verified++;
      else if (problems.length < MAX_PROBLEMS)
        problems.push(`${check.what}: ${actual.length === 64 ? 'content differs' : actual}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, checks.length) }, worker));
  return { ok: verified === checks.length, verified, problems };
}

const RESPONSE_TIMEOUT_MS = 30_000;

async function hashResponse(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS) });
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    return `HTTP ${response.status}`;
  }
  const hash = createHash('sha256');
  for await (const chunk of response.body) hash.update(chunk);
  return hash.digest('hex');
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
