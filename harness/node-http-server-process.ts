import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

/**
 * A peer for `image-loader web` under load: a static server on node:http
 * alone, in its own process. A file is one stat and one createReadStream;
 * a folder a bare readdir listing; /healthz a constant; one access log line
 * per request to `--log` (the web node logs one too). Names starting with
 * a dot are refused, nothing else is checked: it serves the bench's own
 * store on loopback. Prints `{"url":...}` once listening; exits when stdin
 * closes (the bench died) or on SIGTERM.
 */
const { values } = parseArgs({ options: { root: { type: 'string' }, log: { type: 'string' } } });
if (values.root === undefined || values.log === undefined) {
  process.stderr.write('node-http-server-process: --root DIR and --log FILE are required\n');
  process.exit(2);
}
const root = values.root;
const log = createWriteStream(values.log, { flags: 'a' });
const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

const server = createServer((req, res) => {
  const pathname = (req.url ?? '/').split('?')[0]!;
  res.on('finish', () => log.write(`${req.method} ${pathname} ${res.statusCode}\n`));
  if (pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodeURIComponent);
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (segments.some((segment) => segment.startsWith('.'))) {
    res.writeHead(404).end();
    return;
  }
  const file = join(root, ...segments);
  void (async () => {
    try {
      const info = await stat(file);
      if (info.isDirectory()) {
        const names = (await readdir(file)).filter((name) => !name.startsWith('.'));
        const links = names
          .map((name) => `<li><a href="${encodeURIComponent(name)}">${name.replace(/[<&]/g, '')}</a></li>`)
          .join('\n');
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(`<!DOCTYPE html><ul>\n${links}\n</ul>\n`);
        return;
      }
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': info.size,
      });
      await pipeline(createReadStream(file), res);
    } catch {
      if (!res.headersSent) res.writeHead(404).end();
      else res.destroy();
    }
  })();
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
const shutdown = (): void => {
  server.close();
  server.closeAllConnections();
  log.end(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.resume();
