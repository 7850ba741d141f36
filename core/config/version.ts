import { readFileSync } from 'node:fs';

/** This package's version, read on first use (not at import) from package.json, three levels above the compiled dist/core/config/version.js. */
export function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
