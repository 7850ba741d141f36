import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_PATH, renderReference } from './reference.js';

/** `npm run docs`: writes docs/reference.md from the settings tables (run from dist/cli/, two levels below the root). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(root, REFERENCE_PATH);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, renderReference());
process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
