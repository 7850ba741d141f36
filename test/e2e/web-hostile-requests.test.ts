import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary } from '../../core/round/round-summary.js';
import { type RawResponse, rawExchange, rawRequest } from '../../harness/http-get.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makeJpegLike, makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { fetchStore } from '../../harness/store-files.js';
import { waitFor } from '../../harness/wait-for.js';
import { getHealth, processFootprint, startWebNode, type WebNode } from '../../harness/web-node.js';
import { MAX_RANGE_SPECS } from '../../web/range-policy.js';
import { encodeStorePath } from '../../web/request-path.js';

const SMALL = makePng('hostile small', 8);
const PHOTO = makeJpegLike(50_000, 'hostile photo');
/** Large enough that a client cutting the connection after the first bytes leaves the node mid-body. */
const LARGE = makeJpegLike(4_000_000, 'hostile large');
/** Node's default limit on a request's headers (--max-http-header-size). */
const NODE_HEADER_LIMIT = 16 * 1024;

/** `count` ranges built by `spec(i)`, as many as fit in `maxLength` characters if count is not given. */
function rangeHeader(spec: (i: number) => string, maxLength: number): { header: string; count: number } {
  let header = 'bytes=';
  let count = 0;
  for (let next = spec(0); header.length + next.length + 1 <= maxLength; next = spec(count)) {
    header += `${count === 0 ? '' : ','}${next}`;
    count++;
  }
  return { header, count };
}

/**
 * Cuts a connection the way a hostile or broken client does: after sending
 * `send` (maybe nothing), at once or after the first byte of the answer,
 * with a FIN or a reset. Resolves when the socket is closed.
 */
function cutConnection(
  port: number,
  send: string,
  when: 'at once' | 'after the first answer byte',
  how: 'close' | 'reset',
): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const cut = (): void => void (how === 'reset' ? socket.resetAndDestroy() : socket.destroy());
    socket.on('connect', () => {
      if (send !== '') socket.write(send);
      if (when === 'at once') cut();
    });
    socket.once('data', () => cut());
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

/** Runs `task(0..count-1)` with at most `width` at a time. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe('web under hostile requests: huge Range headers, oversized headers, thousands of small and broken requests', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let node: WebNode;
  let summary: RoundSummary;
  const pathOf = (suffix: string): string =>
    encodeStorePath(summary.entries.find((entry) => entry.url.endsWith(suffix))!.path!);

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir('image-loader-web-hostile-');
    origin.set('/h/small.png', { kind: 'image', body: SMALL });
    origin.set('/h/photo.jpg', { kind: 'image', body: PHOTO });
    origin.set('/h/large.jpg', { kind: 'image', body: LARGE });
    summary = await fetchStore(
      ['/h/small.png', '/h/photo.jpg', '/h/large.jpg'].map((path) => `${origin.url}${path}`),
      join(dir.path, 'store'),
    );
    node = await startWebNode(join(dir.path, 'store'));
  });
  after(async () => {
    await node?.process.stop();
    await origin?.close();
    await dir?.remove();
  });

  /** Still the same healthy process, nothing on stderr (an uncaught exception or warning), no error logged. */
  const assertUnharmed = async (): Promise<void> => {
    assert.ok(
      node.running() && node.process.child.pid === node.pid,
      `the web node exited: ${node.process.output().stderr.slice(-2000)}`,
    );
    assert.equal((await getHealth(node.port)).status, 200);
    assert.equal(node.process.output().stderr, '');
    assert.deepEqual(
      node.process.logs().filter((line) => line.level === 'error'),
      [],
    );
  };

  it('Range: one range (or ranges that merge into one) 206, absurd numbers clamped, several ranges the whole file once, nothing inside the file 416, garbage ignored', async () => {
    const size = PHOTO.length;
    const whole = [200, PHOTO] as const;
    const cases: Array<[range: string, status: number, body: Buffer]> = [
      ['bytes=10-19', 206, PHOTO.subarray(10, 20)],
      ['bytes=49990-', 206, PHOTO.subarray(49_990)],
      ['bytes=-10', 206, PHOTO.subarray(size - 10)],
      // A last position past the end means "to the end"; a suffix longer than the file, all of it (RFC 9110 §14.1.2).
      ['bytes=0-99999999999999999999', 206, PHOTO],
      [`bytes=100-${'9'.repeat(5_000)}`, 206, PHOTO.subarray(100)],
      ['bytes=-99999999999999999999', 206, PHOTO],
      // Overlapping and adjacent ranges are one range.
      ['bytes=0-499,100-599,200-299', 206, PHOTO.subarray(0, 600)],
      ['bytes=-5,-10', 206, PHOTO.subarray(size - 10)],
      ['bytes=0-9,10-19', 206, PHOTO.subarray(0, 20)],
      // Ranges apart: the whole file, never a multipart body.
      ['bytes=0-1,100-101', ...whole],
      ['bytes=0-0,-1', ...whole],
      // Nothing inside the file.
      ['bytes=99999999999999999999-', 416, Buffer.alloc(0)],
      [`bytes=${size}-`, 416, Buffer.alloc(0)],
      ['bytes=-0', 416, Buffer.alloc(0)],
      // What a server may ignore (RFC 9110 §14.2): malformed, reversed or negative ranges, another unit.
      ['bytes=20-10', ...whole],
      ['bytes=0-5,20-10', ...whole],
      ['bytes=--5', ...whole],
      ['bytes=0--5', ...whole],
      ['bytes=-', ...whole],
      ['bytes=', ...whole],
      ['bytes=abc', ...whole],
      ['bytes=1e3-', ...whole],
      ['bytes=0x10-0x20', ...whole],
      ['bytes', ...whole],
      ['items=0-5', ...whole],
      ['bytes=0-5;evil', ...whole],
    ];
    const problems: string[] = [];
    for (const [range, status, body] of cases) {
      const response = await rawRequest(node.port, pathOf('/h/photo.jpg'), { headers: { range } });
      const label = `Range: ${range.length > 40 ? `${range.slice(0, 40)}…` : range}`;
      if (response.status !== status) problems.push(`${label}: ${response.status}, expected ${status}`);
      else if (!response.body.equals(body))
        problems.push(`${label}: ${response.body.length} bytes, not the expected ${body.length}`);
      if (status !== 416 && response.headers['content-type'] !== 'image/jpeg')
        problems.push(`${label}: Content-Type ${response.headers['content-type']}`);
      if (
        status === 206 &&
        response.headers['content-range'] !==
          `bytes ${PHOTO.indexOf(body)}-${PHOTO.indexOf(body) + body.length - 1}/${size}`
      )
        problems.push(`${label}: Content-Range ${response.headers['content-range']}`);
      if (status === 416 && response.headers['content-range'] !== `bytes */${size}`)
        problems.push(`${label}: Content-Range ${response.headers['content-range']}`);
    }
    assert.deepEqual(problems, []);
    await assertUnharmed();
  });

  it(`thousands of ranges in one header: the whole file once (no multipart amplification), promptly; past Node's ${NODE_HEADER_LIMIT / 1024} KB header limit, 431`, async (t) => {
    // Every other byte, and the whole file over and over: a multipart answer would be hundreds of times the file.
    const sparse = rangeHeader((i) => `${2 * i}-${2 * i}`, 15_000);
    const repeated = rangeHeader(() => `0-${PHOTO.length - 1}`, 15_000);
    const overlapping = rangeHeader((i) => `${i}-${i + 1_000}`, 15_000);
    for (const [what, { header, count }] of [
      ['every other byte', sparse],
      ['the whole file again and again', repeated],
      ['overlapping ranges', overlapping],
    ] as const) {
      assert.ok(count > MAX_RANGE_SPECS, `${what}: ${count} ranges`);
      const startedAt = Date.now();
      const response: RawResponse = await rawRequest(node.port, pathOf('/h/photo.jpg'), { headers: { range: header } });
      const ms = Date.now() - startedAt;
      t.diagnostic(
        `${what}: ${count} ranges in a ${(header.length / 1024).toFixed(1)} KB header -> ${response.status}, ${response.body.length} bytes (the file: ${PHOTO.length}) in ${ms} ms`,
      );
      assert.equal(response.status, 200, what);
      assert.ok(response.body.equals(PHOTO), `${what}: the file, once`);
      assert.equal(response.headers['content-length'], String(PHOTO.length));
      assert.ok(ms < 1_000, `${what}: ${ms} ms`);
    }
    // Up to the limit the node still parses: the answer never outgrows the file.
    const atLimit = rangeHeader((i) => `${3 * i}-${3 * i + 1}`, MAX_RANGE_SPECS * 20)
      .header.split(',')
      .slice(0, MAX_RANGE_SPECS)
      .join(',');
    const limited = await rawRequest(node.port, pathOf('/h/photo.jpg'), { headers: { range: atLimit } });
    assert.deepEqual([limited.status, limited.body.length], [200, PHOTO.length]);

    const huge = rangeHeader((i) => `${2 * i}-${2 * i}`, 60_000);
    const refused = await rawExchange(
      node.port,
      `GET ${pathOf('/h/photo.jpg')} HTTP/1.1\r\nHost: t\r\nRange: ${huge.header}\r\n\r\n`,
    );
    t.diagnostic(
      `${huge.count} ranges in a ${(huge.header.length / 1024).toFixed(1)} KB header -> ${refused.status}, ${refused.text.length} bytes`,
    );
    assert.equal(refused.status, 431);
    assert.ok(refused.text.length < 200, 'a short refusal, no body to speak of');
    await assertUnharmed();
  });

  it('a 100 KB header: 431 from Node, and the node unharmed', async () => {
    for (const request of [
      `GET ${pathOf('/h/small.png')} HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
      `GET ${pathOf('/h/small.png')} HTTP/1.1\r\nHost: t\r\n${Array.from({ length: 5_000 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: t\r\n\r\n`,
    ]) {
      const answer = await rawExchange(node.port, request);
      assert.equal(answer.status, 431, request.slice(0, 60));
    }
    await assertUnharmed();
  });

  it('5,000 requests over keep-alive connections, then 1,000 short connections, half of them cut off: every complete request answered right, no fd leak, bounded memory', async (t) => {
    const small = pathOf('/h/small.png');
    const photo = pathOf('/h/photo.jpg');
    const large = pathOf('/h/large.jpg');
    const host = decodeURIComponent(small.split('/')[1]!);
    const kinds: Array<{
      path: string;
      method?: string;
      headers?: Record<string, string>;
      ok(response: RawResponse): boolean;
    }> = [
      { path: small, ok: (r) => r.status === 200 && r.body.equals(SMALL) },
      {
        path: small,
        method: 'HEAD',
        ok: (r) => r.status === 200 && r.body.length === 0 && r.headers['content-length'] === String(SMALL.length),
      },
      {
        path: photo,
        headers: { range: 'bytes=100-199' },
        ok: (r) => r.status === 206 && r.body.equals(PHOTO.subarray(100, 200)),
      },
      { path: photo, ok: (r) => r.status === 200 && r.body.equals(PHOTO) },
      { path: `/${encodeURIComponent(host)}/h/missing.png`, ok: (r) => r.status === 404 },
      {
        path: '/',
        headers: { accept: 'application/json' },
        ok: (r) => r.status === 200 && r.body.toString() === JSON.stringify([host]),
      },
      { path: '/..%2f..%2fetc%2fpasswd', ok: (r) => r.status === 400 },
      { path: '/healthz', ok: (r) => r.status === 200 },
    ];
    // Warm: every code path loaded, the thread pool started, before the baseline.
    for (const kind of kinds) assert.ok(kind.ok(await rawRequest(node.port, kind.path, kind)), kind.path);
    const before = await processFootprint(node.pid);

    const wrong: string[] = [];
    /** `count` requests of the kinds in turn over 16 kept-alive connections, closed at the end; how long it took. */
    const keepAliveRequests = async (count: number): Promise<number> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 16 });
      const startedAt = Date.now();
      await inParallel(count, 16, async (i) => {
        const kind = kinds[i % kinds.length]!;
        const response = await rawRequest(node.port, kind.path, { ...kind, agent });
        if (!kind.ok(response)) wrong.push(`${kind.method ?? 'GET'} ${kind.path}: ${response.status}`);
      });
      agent.destroy();
      return Date.now() - startedAt;
    };
    const keepAliveMs = await keepAliveRequests(5_000);
    const afterKeepAlive = await processFootprint(node.pid);

    const cuts = { complete: 0, cut: 0 };
    /** 1,000 short connections, half of them cut off at once or mid-answer; how long they took. */
    const shortConnections = async (): Promise<number> => {
      const startedAt = Date.now();
      await inParallel(1_000, 25, async (i) => {
        const how = i % 2 === 0 ? 'close' : 'reset';
        switch (i % 6) {
          case 0:
          case 1:
          case 2: {
            const answer = await rawExchange(
              node.port,
              `GET ${i % 3 === 0 ? photo : small} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
            );
            const body = Buffer.from(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4), 'latin1');
            if (answer.status !== 200 || !body.equals(i % 3 === 0 ? PHOTO : SMALL))
              wrong.push(`short connection ${i}: ${answer.status}, ${body.length} bytes`);
            cuts.complete++;
            return;
          }
          case 3:
            await cutConnection(node.port, `GET ${small} HTTP/1.1\r\nHost: t\r\nX-Partial: y`, 'at once', how);
            break;
          case 4:
            await cutConnection(
              node.port,
              `GET ${large} HTTP/1.1\r\nHost: t\r\n\r\n`,
              'after the first answer byte',
              how,
            );
            break;
          default:
            await cutConnection(node.port, i % 12 === 5 ? '' : 'GET /h', 'at once', how);
        }
        cuts.cut++;
      });
      return Date.now() - startedAt;
    };

    const shortMs = await shortConnections();
    const afterShort = await processFootprint(node.pid);
    const againMs = await keepAliveRequests(2_500);
    // Every kind of request has now run: the first short and cut-off connections and reads of the large file grew
    // the heap and the allocator's arenas once. The same 3,500 requests again must leave memory level, not grow
    // with the count.
    const warm = await processFootprint(node.pid);
    await shortConnections();
    await keepAliveRequests(2_500);

    // Let the node notice the last closed connections and close the files they were reading.
    let after = await processFootprint(node.pid);
    await waitFor(
      async () => (after = await processFootprint(node.pid)).fds <= before.fds,
      5_000,
      `open fds back to ${before.fds}`,
    ).catch(() => {});
    const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
    t.diagnostic(
      `5,000 keep-alive requests (16 connections) in ${keepAliveMs} ms; 1,000 short connections in ${shortMs} ms; 2,500 more keep-alive requests in ${againMs} ms; then the short and keep-alive phases again (all short connections: ${cuts.complete} complete, ${cuts.cut} cut off)`,
    );
    t.diagnostic(
      `open fds: ${before.fds} before, ${afterKeepAlive.fds} / ${afterShort.fds} / ${warm.fds} / ${after.fds} after each phase; RSS: ${mb(before.rssKb)} before, ${mb(afterKeepAlive.rssKb)} / ${mb(afterShort.rssKb)} / ${mb(warm.rssKb)} / ${mb(after.rssKb)} after each phase`,
    );
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} wrong answers`);
    assert.ok(after.fds <= before.fds, `no fd leak: ${before.fds} before, ${after.fds} after`);
    assert.ok(after.rssKb - before.rssKb < 100 * 1024, `RSS grew by ${mb(after.rssKb - before.rssKb)} in all`);
    assert.ok(
      after.rssKb - warm.rssKb < 32 * 1024,
      `RSS grew by ${mb(after.rssKb - warm.rssKb)} over the last 3,500 requests (the same kinds run once before)`,
    );
    const logged = node.process.logs().filter((line) => line.msg === 'request').length;
    assert.ok(logged >= 10_000 + cuts.complete, `every complete request in the access log (${logged})`);
    const aborted = node.process.logs().filter((line) => line.msg === 'request' && line.aborted === true);
    assert.ok(aborted.length > 0, 'responses cut off mid-body are logged too, as aborted');
    assert.ok(
      aborted.every((line) => line.bytes === 0),
      'an aborted response counts no bytes',
    );
    await assertUnharmed();
  });
});
