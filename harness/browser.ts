import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Debian's chromium (apt-get install chromium; .ci/run does), driven by playwright-core. */
export const CHROMIUM = process.env.IMAGE_LOADER_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;
}

/** Where browser tests save their screenshots: test-artifacts/ at the repository root (ignored by git, kept by CI). */
export async function artifactPath(name: string): Promise<string> {
  const dir = new URL('../../test-artifacts/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  return join(dir, name);
}

/** Chromium's own background traffic (updates, sync, QUIC probes) has no network here: keep it from trying. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
