// The simulated fleet's image origin, run inside its own network namespace
// (image-origin.ts in-process would listen in the host
// namespace): serves the files of a directory as images, re-read on every
// request, so the test changes an image by replacing its file.
// Usage: node namespace-origin-main.js --host ADDR --dir DIR
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { startImageOrigin } from './image-origin.js';

const { values } = parseArgs({ options: { host: { type: 'string' }, dir: { type: 'string' } } });
const dir = values.dir!;
const origin = await startImageOrigin({ host: values.host! });
origin.fallback((path) => {
  const name = normalize(decodeURIComponent(path.split('?')[0]!));
  if (name.split('/').includes('..')) return undefined;
  try {
    const body = readFileSync(join(dir, name));
    return { kind: 'image', body, contentType: body[0] === 0xff ? 'image/jpeg' : 'image/png' };
  } catch {
    return undefined;
  }
});
process.stdout.write(`${JSON.stringify({ msg: 'origin listening', url: origin.url })}\n`);
process.once('SIGTERM', () => void origin.close().then(() => process.exit(0)));
