import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RoundSummary, UrlEntry } from '../../core/round/round-summary.js';
import { type CliResult, runCli } from '../../harness/cli-process.js';
import { type IsolatedNetwork, isolatedNetworkMissing, startIsolatedNetwork } from '../../harness/isolated-network.js';
import { makePng } from '../../harness/origin/sample-images.js';
import { tempDir } from '../../harness/scratch-dir.js';

const skip = isolatedNetworkMissing();
if (skip) process.stdout.write(`# skipping the SSRF and host name tests in an isolated network: ${skip}\n`);

/** Stands for a public internet host: not in any refused range, and here only on the namespace's loopback. */
const PUBLIC = '203.0.113.10';
/** A public address that is NOT in the namespace: a connection to it must fail there, proving nothing leaves. */
const UNREACHABLE_PUBLIC = '192.0.2.1';
const IDN_HOST = 'bücher.test';
const IDN_ASCII = 'xn--bcher-kva.test';

/**
 * Every form the SSRF guard must refuse, as the host part of a URL. Each is
 * an address of the isolated namespace (or a name for one in its hosts
 * file), served by the origin there: with the guard off each one downloads,
 * so a refusal is the guard's doing and not a failed connection.
 */
const REFUSED_HOSTS: Array<[host: string, what: string]> = [
  ['127.0.0.1', 'loopback'],
  ['localhost', 'loopback by name'],
  ['[::1]', 'IPv6 loopback'],
  ['0.0.0.0', 'unspecified (connects to this host)'],
  ['169.254.169.254', 'cloud metadata'],
  ['10.1.2.3', '10/8'],
  ['172.16.0.1', '172.16/12, first block'],
  ['172.31.255.254', '172.16/12, last block'],
  ['192.168.1.1', '192.168/16'],
  ['[fc00::1]', 'unique local fc00::/7 (fc)'],
  ['[fd12::1]', 'unique local fc00::/7 (fd)'],
  ['[::ffff:10.1.2.3]', 'IPv4-mapped IPv6 of 10/8'],
  ['[::ffff:7f00:1]', 'IPv4-mapped IPv6 of loopback, hex'],
  ['2130706433', 'decimal IPv4 of loopback'],
  ['0177.0.0.1', 'octal IPv4 of loopback'],
  ['internal.test', 'a name that resolves to 10/8'],
  ['metadata.test', 'a name that resolves to the metadata address'],
  ['v6.test', 'a name that resolves to ::1'],
  [IDN_HOST, 'an IDN name that resolves to loopback'],
];

describe('SSRF guard and hostile host names, in an isolated network namespace', { skip }, () => {
  let net: IsolatedNetwork;
  let dir: { path: string; remove(): Promise<void> };
  const image = makePng('isolated', 12);
  const idnImage = makePng('idn', 10);

  before(async () => {
    net = await startIsolatedNetwork({
      addresses: [
        '10.1.2.3',
        '172.16.0.1',
        '172.31.255.254',
        '192.168.1.1',
        '169.254.169.254',
        PUBLIC,
        'fc00::1',
        'fd12::1',
      ],
      hosts: [
        ['10.1.2.3', 'internal.test'],
        ['169.254.169.254', 'metadata.test'],
        ['::1', 'v6.test'],
        ['127.0.0.1', IDN_ASCII],
        [PUBLIC, 'public.test'],
        // One name, a private address first and a public one: only the public one may be used.
        ['10.1.2.3', 'mixed.test'],
        [PUBLIC, 'mixed.test'],
      ],
    });
    dir = await tempDir();
    for (let i = 0; i < REFUSED_HOSTS.length; i++) {
      await net.set(`/direct/${i}.png`, { kind: 'image', body: image });
      await net.set(`/target/${i}.png`, { kind: 'image', body: image });
      await net.set(`/hop/${i}`, {
        kind: 'redirect',
        location: `http://${REFUSED_HOSTS[i]![0]}:${net.port}/target/${i}.png`,
      });
    }
    for (const path of ['/public.png', '/by-name.png', '/mixed.png', '/unreachable.png', '/unknown.png'])
      await net.set(path, { kind: 'image', body: image });
    await net.set('/idn.png', { kind: 'image', body: idnImage });
  });
  after(async () => {
    await net?.close();
    await dir?.remove();
  });

  const url = (host: string, path: string): string => `http://${host}:${net.port}${path}`;
  const fetchInside = async (
    name: string,
    urls: string[],
    extra: string[] = [],
  ): Promise<{ result: CliResult; byUrl: Map<string, UrlEntry>; store: string }> => {
    const list = join(dir.path, `${name}.txt`);
    await writeFile(list, `${urls.join('\n')}\n`);
    const store = join(dir.path, `${name}-store`);
    const result = await runCli(
      [
        'fetch',
        list,
        '--store',
        store,
        '--json',
        '--retries',
        '0',
        '--connect-timeout',
        '2s',
        '--timeout',
        '5s',
        ...extra,
      ],
      { prefix: net.prefix },
    );
    const summary = JSON.parse(result.stdout) as RoundSummary;
    const byUrl = new Map(summary.entries.map((entry) => [entry.url, entry]));
    return { result, byUrl, store };
  };
  // The list's URLs as the parser normalises them (decimal and octal IPv4, IDN, IPv6), to find their entries.
  const normalised = (text: string): string => new URL(text).href;

  const direct = (): string[] => REFUSED_HOSTS.map(([host], i) => url(host, `/direct/${i}.png`));
  const redirected = (): string[] => REFUSED_HOSTS.map((_, i) => url(PUBLIC, `/hop/${i}`));

  it('with the guard off (--allow-private), every one of those hosts is served here, directly and through a redirect', async () => {
    await net.resetStats();
    const { result, byUrl } = await fetchInside('allowed', [...direct(), ...redirected()], ['--allow-private']);
    assert.equal(result.code, 0, result.stdout.slice(0, 3000));
    for (const text of [...direct(), ...redirected()])
      assert.equal(byUrl.get(normalised(text))?.status, 'downloaded', text);
  });

  it('by default each is refused with IMG_ERR_BLOCKED_ADDRESS, directly and through a redirect from a permitted host, and no request reaches it', async () => {
    await net.resetStats();
    const permitted = [url(PUBLIC, '/public.png'), url('public.test', '/by-name.png'), url('mixed.test', '/mixed.png')];
    const { result, byUrl } = await fetchInside('refused', [...direct(), ...redirected(), ...permitted]);
    assert.equal(result.code, 1, result.stderr);
    for (const [i, [host, what]] of REFUSED_HOSTS.entries()) {
      for (const [how, text] of [
        ['directly', direct()[i]!],
        ['through a redirect', redirected()[i]!],
      ] as const) {
        const entry = byUrl.get(normalised(text));
        assert.equal(entry?.status, 'failed', `${host} (${what}) ${how}`);
        assert.equal(entry.error?.code, 'IMG_ERR_BLOCKED_ADDRESS', `${host} (${what}) ${how}: ${entry.error?.message}`);
        assert.match(entry.error!.message, /--allow-private/);
        assert.equal(entry.attempts, 1, 'a refusal is not retried');
      }
    }
    const stats = await net.stats();
    const reached = Object.keys(stats.byPath).filter(
      (path) => path.startsWith('/direct/') || path.startsWith('/target/'),
    );
    assert.deepEqual(reached, [], 'no refused host saw a request');
    for (let i = 0; i < REFUSED_HOSTS.length; i++)
      assert.equal(stats.byPath[`/hop/${i}`], 1, 'the permitted host was asked, once');

    // The guard refuses addresses, not everything: a public address, a name for it, and a name with a
    // public and a private address (only the public one is used) all download.
    for (const text of permitted)
      assert.equal(byUrl.get(text)?.status, 'downloaded', `${text}: ${JSON.stringify(byUrl.get(text)?.error)}`);
    assert.equal(stats.byPath['/mixed.png'], 1);
  });

  it('nothing leaves the namespace and no name is asked of DNS: a public address elsewhere is unreachable, an unknown name is not found', async () => {
    const { byUrl } = await fetchInside('isolation', [
      url(UNREACHABLE_PUBLIC, '/unreachable.png'),
      url('unknown.test', '/unknown.png'),
    ]);
    const unreachable = byUrl.get(url(UNREACHABLE_PUBLIC, '/unreachable.png'));
    assert.equal(unreachable?.error?.code, 'IMG_ERR_CONNECTION', JSON.stringify(unreachable?.error));
    assert.match(unreachable.error!.message, /ENETUNREACH/);
    // With DNS in the resolver's path and no network, this would be EAI_AGAIN (a retryable connection error).
    assert.equal(byUrl.get(url('unknown.test', '/unknown.png'))?.error?.code, 'IMG_ERR_DNS_NOT_FOUND');
  });

  it(`an IDN host (${IDN_HOST}) is looked up and stored under its punycode name, ${IDN_ASCII}`, async () => {
    await net.resetStats();
    const { result, byUrl, store } = await fetchInside('idn', [url(IDN_HOST, '/idn.png')], ['--allow-private']);
    assert.equal(result.code, 0, result.stdout);
    const entry = byUrl.get(url(IDN_ASCII, '/idn.png'));
    assert.equal(entry?.status, 'downloaded', JSON.stringify([...byUrl.keys()]));
    assert.equal(entry.path, `${IDN_ASCII}^3A${net.port}^.http/idn.png`);
    assert.ok((await readFile(join(store, entry.path))).equals(idnImage), 'stored byte-exact');
    assert.equal((await net.stats()).byPath['/idn.png'], 1);
  });
});
