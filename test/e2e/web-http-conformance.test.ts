import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type BodyExpectation,
  CONFORMANCE_TABLE,
  type ConformanceRow,
  type Expected,
  type HeaderExpectation,
} from '../../harness/http-conformance-table.js';
import { rawRequest } from '../../harness/http-get.js';
import { type NginxServer, nginxAvailable, startNginx } from '../../harness/nginx-server.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';
import { fetchStore } from '../../harness/store-files.js';
import { startWebNode, type WebNode } from '../../harness/web-node.js';
import { encodeStorePath } from '../../web/request-path.js';

const DAY_MS = 86_400_000;

/** The fixture's names, and one server's validators for the image: what the table's placeholders stand for. */
type Values = Record<string, string>;

/** The problems of one answer against one row's expectation (none: it conforms). */
async function check(port: number, row: ConformanceRow, expected: Expected, values: Values, image: Buffer) {
  const fill = (text: string): string => text.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `{${name}}`);
  // One connection per row: nginx closes a connection after some error answers, and a reused one would hang up.
  const headers = {
    connection: 'close',
    ...Object.fromEntries(Object.entries(row.headers ?? {}).map(([name, value]) => [name, fill(value)])),
  };
  const response = await rawRequest(port, fill(row.target), { method: row.method ?? 'GET', headers }).catch(
    (error: unknown) => error as Error,
  );
  if (response instanceof Error) return [`no answer: ${response.message}`];
  const problems: string[] = [];
  if (response.status !== expected.status) problems.push(`status ${response.status}, expected ${expected.status}`);
  for (const [name, expectation] of Object.entries(expected.headers ?? {})) {
    const actual = response.headers[name] as string | undefined;
    if (!headerMatches(actual, expectation, fill))
      problems.push(
        `${name}: ${actual === undefined ? '(absent)' : JSON.stringify(actual)}, expected ${describe_(expectation, fill)}`,
      );
  }
  const body = bodyProblem(response.body, expected.body ?? 'any', image);
  if (body !== undefined) problems.push(body);
  return problems;
}

function headerMatches(
  actual: string | undefined,
  expectation: HeaderExpectation,
  fill: (text: string) => string,
): boolean {
  if (expectation === null) return actual === undefined;
  if (expectation instanceof RegExp) return expectation.test(actual ?? '');
  return actual === fill(expectation);
}

const describe_ = (expectation: HeaderExpectation, fill: (text: string) => string): string =>
  expectation === null
    ? '(absent)'
    : expectation instanceof RegExp
      ? String(expectation)
      : JSON.stringify(fill(expectation));

function bodyProblem(body: Buffer, expectation: BodyExpectation, image: Buffer): string | undefined {
  if (expectation === 'any') return undefined;
  if (expectation === 'empty') return body.length === 0 ? undefined : `a body of ${body.length} bytes, expected none`;
  const wanted =
    expectation === 'image'
      ? image
      : image.subarray(
          expectation.start < 0 ? image.length + expectation.start : expectation.start,
          expectation.end < 0 ? image.length + expectation.end + 1 : expectation.end + 1,
        );
  return body.equals(wanted) ? undefined : `a body of ${body.length} bytes, not the expected ${wanted.length}`;
}

describe('HTTP conformance (RFC 9110/9112): the web node, and nginx on the same store', () => {
  let origin: ImageOrigin;
  let dir: { path: string; remove(): Promise<void> };
  let node: WebNode;
  let nginx: NginxServer | undefined;
  let names: Values;
  let image: Buffer;

  before(async () => {
    origin = await startImageOrigin();
    dir = await tempDir('image-loader-conformance-');
    origin.set('/h/img001.png', { kind: 'image', body: makePng('conformance', 64) });
    const store = join(dir.path, 'store');
    const summary = await fetchStore([`${origin.url}/h/img001.png`], store);
    const path = summary.entries[0]!.path!;
    image = await readFile(join(store, path));
    const imagePath = encodeStorePath(path);
    const [, host] = imagePath.split('/');
    names = {
      image: imagePath,
      imageEncoded: imagePath.replace('img001', 'img%30%30%31'),
      imageDoubled: imagePath.replace(`/${host}/`, `/${host}//`),
      folder: imagePath.slice(0, imagePath.lastIndexOf('/')),
      folderDoubled: imagePath.slice(0, imagePath.lastIndexOf('/')).replace(`/${host}/`, `/${host}//`),
      size: String(image.length),
    };
    node = await startWebNode(store);
    if (nginxAvailable()) nginx = await startNginx(store, dir.path);
  });
  after(async () => {
    await node?.process.stop();
    await nginx?.stop();
    await origin?.close();
    await dir?.remove();
  });

  /** This server's validators for the image, as a plain GET shows them. */
  const valuesOf = async (port: number): Promise<Values> => {
    const plain = await rawRequest(port, names.image!);
    const lastModified = plain.headers['last-modified'] as string;
    const date = Date.parse(lastModified);
    return {
      ...names,
      port: String(port),
      etag: plain.headers.etag as string,
      lastModified,
      before: new Date(date - DAY_MS).toUTCString(),
      after: new Date(date + DAY_MS).toUTCString(),
    };
  };

  it('the web node answers every row of the table as RFC 9110/9112 and its README say', async () => {
    const values = await valuesOf(node.port);
    const problems: string[] = [];
    for (const row of CONFORMANCE_TABLE)
      for (const problem of await check(node.port, row, row.expected, values, image))
        problems.push(`${row.name}: ${problem}`);
    assert.deepEqual(problems, []);
  });

  it('nginx on the same store answers the same table, but for the stated differences', async (t) => {
    if (nginx === undefined) {
      t.skip('nginx is not installed (Debian: apt-get install nginx-light)');
      return;
    }
    const values = await valuesOf(nginx.port);
    const problems: string[] = [];
    for (const row of CONFORMANCE_TABLE) {
      const { why: _why, ...difference } = row.nginx ?? { why: '' };
      const expected: Expected = { ...row.expected, ...difference };
      for (const problem of await check(nginx.port, row, expected, values, image))
        problems.push(`${row.name}: ${problem}`);
    }
    assert.deepEqual(problems, [], await nginx.errors());
  });

  it("a listing's folder links and breadcrumbs end in / (no 301 per click; a mirror can be re-run)", async () => {
    const folderPage = (await rawRequest(node.port, `${names.folder}/`)).body.toString();
    const hostPage = (
      await rawRequest(node.port, `${names.folder!.slice(0, names.folder!.lastIndexOf('/'))}/`)
    ).body.toString();
    const hrefs = [...`${folderPage}${hostPage}`.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!);
    const folders = hrefs.filter((href) => !href.endsWith('.png'));
    assert.ok(folders.length >= 4, `folder links and breadcrumbs: ${folders.join(' ')}`);
    assert.deepEqual(
      folders.filter((href) => !href.endsWith('/')),
      [],
    );
    assert.ok(hrefs.includes(names.image!), `the image's own link: ${hrefs.join(' ')}`);
  });

  it('every difference from nginx is stated with its reason', () => {
    for (const row of CONFORMANCE_TABLE)
      if (row.nginx !== undefined) assert.ok(row.nginx.why.length > 20, `${row.name}: a difference without a reason`);
  });
});
