import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as undici from 'undici';
import { Agent, buildConnector } from '../../core/download/undici-parts.js';
import { type ImageOrigin, startImageOrigin } from '../../harness/origin/image-origin.js';

const run = promisify(execFile);
const PARTS = new URL('../../core/download/undici-parts.js', import.meta.url).href;
const FETCH_COMMAND = new URL('../../fetch/fetch-command.js', import.meta.url).href;

/**
 * Run in a fresh Node process: imports `module`, then (when given) fetches `url` through the parts, and reports
 * which of undici's index, Node's bundled undici and prom-client got loaded.
 */
const PROBE = `
const [moduleUrl, partsUrl, url] = process.argv.slice(1);
await import(moduleUrl);
const { createRequire } = await import('node:module');
const loaded = (end) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.endsWith(end));
const report = {
  undiciIndex: loaded('/undici/index.js'),
  bundledUndici: process.moduleLoadList.includes('NativeModule internal/deps/undici/undici'),
  promClient: loaded('/prom-client/index.js'),
};
if (url) {
  const { Agent, request } = await import(partsUrl);
  const agent = new Agent({ connections: 1 });
  report.agentHasRequest = typeof agent.request === 'function';
  const response = await request(agent, { origin: new URL(url).origin, path: new URL(url).pathname, method: 'GET' });
  report.status = response.statusCode;
  report.body = await response.body.text();
  await agent.close();
  report.undiciIndexAfter = loaded('/undici/index.js');
}
process.stdout.write(JSON.stringify(report));
`;

async function probe(moduleUrl: string, url = ''): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', PROBE, moduleUrl, PARTS, url], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('undici parts (start-up without undici index)', () => {
  let origin: ImageOrigin;
  before(async () => {
    origin = await startImageOrigin();
    origin.set('/hello', { kind: 'status', status: 200, body: 'hello' });
  });
  after(async () => {
    await origin.close();
  });

  test("each part is the very object undici's index exports", () => {
    assert.equal(Agent, undici.Agent);
    assert.equal(buildConnector, undici.buildConnector);
    // The index copies api-request onto Dispatcher.prototype; request() calls that same function.
    const requestFile = createRequire(import.meta.url)('undici/lib/api/api-request.js');
    assert.equal(requestFile, undici.Dispatcher.prototype.request);
    assert.equal(createRequire(import.meta.url)('undici/lib/api/api-stream.js'), undici.Dispatcher.prototype.stream);
  });

  test("a request through the parts works in a process that never loads undici's index", async () => {
    const report = await probe(PARTS, `${origin.url}/hello`);
    assert.deepEqual(report, {
      undiciIndex: false,
      bundledUndici: false,
      promClient: false,
      agentHasRequest: false,
      status: 200,
      body: 'hello',
      undiciIndexAfter: false,
    });
  });

  test("loading fetch loads neither undici's index, nor Node's bundled undici, nor prom-client", async () => {
    assert.deepEqual(await probe(FETCH_COMMAND), { undiciIndex: false, bundledUndici: false, promClient: false });
  });
});
