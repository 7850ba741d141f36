import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type FolderVersion,
  type KeptListing,
  ListingCache,
  type ListingCacheLimits,
  type ListingRequest,
  listingsToEvict,
  type RenderStamp,
  renderAnswers,
  sameFolderVersion,
} from '../../web/listing-cache.js';

const CHANGED_AT = Date.parse('2026-01-01T10:00:00.000Z');
const VERSION: FolderVersion = { dev: 2049, ino: 1234, mtimeMs: CHANGED_AT, ctimeMs: CHANGED_AT };
const LIMITS = { maxAgeMs: 2_000, racyMs: 1_000 };
/** Rendered at monotonic 10,000 ms (tick 5), 5 s after the folder's last change. */
const stamp: RenderStamp = { tick: 5, startedAtMs: 10_000, wallStartedAtMs: CHANGED_AT + 5_000, version: VERSION };
const request: ListingRequest = { tick: 9, version: VERSION };

describe('renderAnswers', () => {
  const cases: Array<
    [what: string, stamp: Partial<RenderStamp>, request: Partial<ListingRequest>, nowMs: number, expected: boolean]
  > = [
    ['same version, not racy, young', {}, {}, 10_500, true],
    ['just under the maximum age', {}, {}, 11_999, true],
    ['at the maximum age', {}, {}, 12_000, false],
    [
      'another mtime (a file renamed in, replaced or removed)',
      {},
      { version: { ...VERSION, mtimeMs: CHANGED_AT + 6_000 } },
      10_500,
      false,
    ],
    ['another ctime only', {}, { version: { ...VERSION, ctimeMs: CHANGED_AT + 6_000 } }, 10_500, false],
    ['another inode (the folder replaced, the store swapped)', {}, { version: { ...VERSION, ino: 99 } }, 10_500, false],
    ['another device (another mount)', {}, { version: { ...VERSION, dev: 7 } }, 10_500, false],
    ['an mtime a sub-millisecond later', {}, { version: { ...VERSION, mtimeMs: CHANGED_AT + 0.000_5 } }, 10_500, false],
    // Racy: rendered less than racyMs after the folder's last change; a second change in the same clock tick would not show.
    ['rendered 999 ms after the change (racy)', { wallStartedAtMs: CHANGED_AT + 999 }, {}, 10_500, false],
    ['rendered 1,000 ms after the change', { wallStartedAtMs: CHANGED_AT + 1_000 }, {}, 10_500, true],
    [
      'a ctime later than the mtime makes it racy',
      { version: { ...VERSION, ctimeMs: CHANGED_AT + 4_500 } },
      { version: { ...VERSION, ctimeMs: CHANGED_AT + 4_500 } },
      10_500,
      false,
    ],
    [
      'a folder timestamp in the future (an NFS server clock ahead)',
      { version: { ...VERSION, mtimeMs: CHANGED_AT + 60_000 } },
      { version: { ...VERSION, mtimeMs: CHANGED_AT + 60_000 } },
      10_500,
      false,
    ],
    // A render that started after the request arrived saw every change before it: any version, racy or old.
    [
      'started after the request, another version',
      { tick: 10 },
      { version: { ...VERSION, mtimeMs: CHANGED_AT - 5 } },
      10_500,
      true,
    ],
    ['started after the request, racy', { tick: 10, wallStartedAtMs: CHANGED_AT + 1 }, {}, 10_500, true],
    ['started after the request, older than the maximum age (a slow render)', { tick: 10 }, {}, 60_000, true],
    ['started just before the request, racy', { tick: 8, wallStartedAtMs: CHANGED_AT + 1 }, { tick: 9 }, 10_500, false],
  ];
  for (const [what, stampChange, requestChange, nowMs, expected] of cases) {
    test(what, () =>
      assert.equal(
        renderAnswers({ ...stamp, ...stampChange }, { ...request, ...requestChange }, nowMs, LIMITS),
        expected,
      ),
    );
  }
  test('sameFolderVersion compares all four fields', () => {
    assert.ok(sameFolderVersion(VERSION, { ...VERSION }));
    for (const field of ['dev', 'ino', 'mtimeMs', 'ctimeMs'] as const)
      assert.ok(!sameFolderVersion(VERSION, { ...VERSION, [field]: VERSION[field] + 1 }), field);
  });
});

describe('listingsToEvict', () => {
  const kept = (key: string, bytes: number, startedAtMs = 1_000): KeptListing => ({ key, bytes, startedAtMs });
  const limits = { maxEntries: 3, maxBytes: 1_000, maxAgeMs: 2_000 };
  const cases: Array<[what: string, kept: KeptListing[], nowMs: number, expected: string[]]> = [
    ['nothing kept', [], 1_500, []],
    ['within both bounds', [kept('a', 300), kept('b', 300), kept('c', 400)], 1_500, []],
    [
      'one entry too many: the least recently used goes',
      [kept('a', 10), kept('b', 10), kept('c', 10), kept('d', 10)],
      1_500,
      ['a'],
    ],
    ['bytes over: the oldest go until they fit', [kept('a', 400), kept('b', 400), kept('c', 400)], 1_500, ['a']],
    ['bytes far over: all but the newest', [kept('a', 600), kept('b', 600), kept('c', 600)], 1_500, ['a', 'b']],
    ['expired ones go first, wherever they are', [kept('a', 10), kept('b', 10, 0), kept('c', 10)], 2_500, ['b']],
    ['all expired', [kept('a', 10, 0), kept('b', 10, 0)], 2_000, ['a', 'b']],
    [
      'an expired one counts towards the bounds it frees',
      [kept('a', 10), kept('b', 10, 0), kept('c', 10), kept('d', 10)],
      2_500,
      ['b'],
    ],
    ['a single entry over the byte bound goes too', [kept('a', 1_001)], 1_500, ['a']],
  ];
  for (const [what, listings, nowMs, expected] of cases)
    test(what, () => assert.deepEqual(listingsToEvict(listings, nowMs, limits), expected));
});

/** A cache on a hand-driven clock, folders changed long ago; each render resolves when the test says so. */
function harness(limits: Partial<ListingCacheLimits> = {}) {
  const clock = { now: 0, wall: CHANGED_AT + 10_000 };
  const renders: string[] = [];
  let bytes = 0;
  const cache = new ListingCache<string>({
    limits,
    sizeOf: (value) => (value.startsWith('error') ? undefined : value.length),
    onBytes: (kept) => (bytes = kept),
    monotonicMs: () => clock.now,
    wallMs: () => clock.wall,
  });
  const pending: Array<(value: string) => void> = [];
  const ask = (key: string, version: FolderVersion = VERSION): Promise<string> =>
    cache.get(key, { tick: cache.tick(), version }, () => {
      renders.push(key);
      return new Promise((resolve) => pending.push(resolve));
    });
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { cache, clock, renders, pending, ask, settle, keptBytes: () => bytes };
}

describe('ListingCache', () => {
  test('concurrent requests for one key share one render; later ones use the kept listing', async () => {
    const { renders, pending, ask, settle } = harness();
    const answers = Promise.all(Array.from({ length: 20 }, () => ask('html /img/')));
    await settle();
    assert.equal(pending.length, 1);
    pending[0]!('page 1');
    assert.deepEqual(new Set(await answers), new Set(['page 1']));
    assert.equal(await ask('html /img/'), 'page 1');
    assert.deepEqual(renders, ['html /img/']);
  });

  test('keys are separate: another folder or view renders on its own', async () => {
    const { renders, pending, ask, settle } = harness();
    const answers = Promise.all([ask('html /a/'), ask('json /a/'), ask('html /b/')]);
    await settle();
    for (const [i, resolve] of pending.entries()) resolve(`page ${i}`);
    assert.deepEqual(await answers, ['page 0', 'page 1', 'page 2']);
    assert.equal(renders.length, 3);
  });

  test('a request that saw a newer folder version waits for the render in flight, then joins the next one with the others', async () => {
    const { renders, pending, ask, settle } = harness();
    const first = ask('html /img/');
    await settle();
    const changed = { ...VERSION, mtimeMs: VERSION.mtimeMs + 1 };
    const later = Promise.all([ask('html /img/', changed), ask('html /img/', changed), ask('html /img/')]);
    await settle();
    assert.equal(pending.length, 1, 'one render in flight at a time');
    pending[0]!('before the change');
    assert.equal(await first, 'before the change');
    await settle();
    assert.equal(pending.length, 2, 'the next render starts once the first ends');
    pending[1]!('after the change');
    // The third request saw the old version, not racy: the first render answers it.
    assert.deepEqual(await later, ['after the change', 'after the change', 'before the change']);
    assert.equal(renders.length, 2);
  });

  test('a racy render answers only requests it started after; those arriving meanwhile share the next render', async () => {
    const { clock, renders, pending, ask, settle } = harness();
    const racy = { ...VERSION, mtimeMs: clock.wall - 10, ctimeMs: clock.wall - 10 };
    const first = ask('html /img/', racy);
    const meanwhile = Promise.all([ask('html /img/', racy), ask('html /img/', racy)]);
    await settle();
    assert.equal(pending.length, 1);
    pending[0]!('racy page');
    assert.equal(await first, 'racy page');
    await settle();
    assert.equal(pending.length, 2, 'the waiting requests started one render');
    pending[1]!('next page');
    assert.deepEqual(await meanwhile, ['next page', 'next page']);
    const later = ask('html /img/', racy);
    await settle();
    assert.equal(pending.length, 3, 'a later request does not reuse a racy render');
    pending[2]!('fresh page');
    assert.equal(await later, 'fresh page');
    assert.equal(renders.length, 3);
  });

  test('a kept listing is rendered again after the maximum age, and dropped from memory', async () => {
    const { clock, renders, pending, ask, settle, cache, keptBytes } = harness({ maxAgeMs: 2_000 });
    const first = ask('html /img/');
    await settle();
    pending[0]!('page 1');
    await first;
    assert.deepEqual(cache.size(), { entries: 1, bytes: 6 });
    assert.equal(keptBytes(), 6);
    clock.now = 1_999;
    assert.equal(await ask('html /img/'), 'page 1');
    clock.now = 2_000;
    const again = ask('html /img/');
    await settle();
    pending[1]!('page 2');
    assert.equal(await again, 'page 2');
    assert.equal(renders.length, 2);
    clock.now = 10_000;
    const other = ask('json /img/');
    await settle();
    pending[2]!('[]');
    await other;
    assert.deepEqual(cache.size(), { entries: 1, bytes: 2 }, 'the expired page went when another was kept');
  });

  test('bounded: entries, bytes, and an entry too big to keep (still shared)', async () => {
    const { renders, pending, ask, settle, cache } = harness({ maxEntries: 2, maxBytes: 100, maxEntryBytes: 60 });
    for (const [i, key] of ['a', 'b', 'c'].entries()) {
      const answer = ask(key);
      await settle();
      pending[i]!('x'.repeat(40));
      await answer;
    }
    assert.deepEqual(cache.size(), { entries: 2, bytes: 80 });
    const big = Promise.all([ask('big'), ask('big')]);
    await settle();
    pending[3]!('y'.repeat(61));
    assert.deepEqual(
      (await big).map((page) => page.length),
      [61, 61],
    );
    assert.deepEqual(cache.size(), { entries: 2, bytes: 80 });
    const bigAgain = ask('big');
    await settle();
    assert.equal(pending.length, 5, 'not kept: rendered again');
    pending[4]!('y');
    await bigAgain;
    assert.equal(renders.length, 5);
  });

  test('an answer that must not be kept (an error page) is shared but not kept; a failed render fails its waiters and the next request renders again', async () => {
    const { renders, pending, ask, settle, cache } = harness();
    const errors = Promise.all([ask('html /gone/'), ask('html /gone/')]);
    await settle();
    pending[0]!('error: ENOENT');
    assert.deepEqual(await errors, ['error: ENOENT', 'error: ENOENT']);
    assert.deepEqual(cache.size(), { entries: 0, bytes: 0 });
    const failing = new ListingCache<string>({ sizeOf: (value) => value.length });
    const fail = (): Promise<string> => {
      renders.push('k');
      return Promise.reject(new Error('EIO'));
    };
    await Promise.all([
      assert.rejects(failing.get('k', { tick: failing.tick(), version: VERSION }, fail), /EIO/),
      assert.rejects(failing.get('k', { tick: failing.tick(), version: VERSION }, fail), /EIO/),
    ]);
    assert.equal(
      await failing.get('k', { tick: failing.tick(), version: VERSION }, () => {
        renders.push('k');
        return Promise.resolve('ok');
      }),
      'ok',
    );
    assert.deepEqual(renders, ['html /gone/', 'k', 'k']);
  });
});
