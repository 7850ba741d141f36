import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HealthInput, type HealthState, judgeHealth } from '../../web/health-state.js';

const now = Date.parse('2026-11-27T12:00:00Z');
const base: HealthInput = {
  observation: undefined,
  probeStartedAt: undefined,
  now,
  probeTimeoutMs: 1000,
  staleFactor: 3,
  defaultEveryMs: 300_000,
};
const heartbeat = (ageMs: number, everyMs = 300_000): HealthInput['observation'] => ({
  kind: 'heartbeat',
  heartbeat: {
    schema: 'image-loader/heartbeat@1',
    at: new Date(now - ageMs).toISOString(),
    everyMs,
    lastRoundId: 'r1',
    lastRoundFinishedAt: '2026-11-27T11:58:00.000Z',
  },
  at: now - 100,
});

describe('judgeHealth', () => {
  const cases: Array<
    [what: string, input: Partial<HealthInput>, healthy: boolean, state: HealthState, reason: RegExp]
  > = [
    ['a fresh heartbeat', { observation: heartbeat(60_000) }, true, 'fresh', /store fresh/],
    ['a heartbeat just under three intervals', { observation: heartbeat(899_000) }, true, 'fresh', /store fresh/],
    [
      'a heartbeat over three intervals',
      { observation: heartbeat(901_000) },
      false,
      'stale',
      /store stale: last sign of life 15 min ago, limit 15 min/,
    ],
    [
      'a stale heartbeat with a longer interval of its own',
      { observation: heartbeat(3_600_000, 1_800_000) },
      true,
      'fresh',
      /fresh/,
    ],
    [
      'a fetch store: last round within the default interval',
      { observation: { kind: 'last-round', finishedAt: new Date(now - 60_000).toISOString(), at: now } },
      true,
      'fresh',
      /fresh/,
    ],
    [
      'a fetch store: last round a day ago',
      { observation: { kind: 'last-round', finishedAt: new Date(now - 86_400_000).toISOString(), at: now } },
      false,
      'stale',
      /stale: last sign of life 24\.0 h ago/,
    ],
    [
      'a store folder that is not there',
      { observation: { kind: 'missing', what: 'store', path: '/srv/images', at: now } },
      false,
      'missing',
      /^store missing: \/srv\/images does not exist \(not mounted, or moved away\?\)$/,
    ],
    [
      'a store without status files',
      { observation: { kind: 'missing', what: 'status', path: '/srv/images/.image-loader', at: now } },
      false,
      'missing',
      /^store missing: no heartbeat\.json or last-round\.json in \/srv\/images\/\.image-loader$/,
    ],
    [
      'an unreadable store, errno only',
      { observation: { kind: 'unreadable', code: 'EIO', at: now } },
      false,
      'unreadable',
      /^store unreadable: EIO$/,
    ],
    [
      "an unreadable store, in the system's words",
      {
        observation: {
          kind: 'unreadable',
          code: 'EACCES',
          message: "EACCES: permission denied, open '/s/.image-loader/heartbeat.json'",
          at: now,
        },
      },
      false,
      'unreadable',
      /^store unreadable: EACCES: permission denied, open '\/s\/\.image-loader\/heartbeat\.json'$/,
    ],
    ['nothing looked at yet', {}, false, 'not-checked', /not checked yet/],
    [
      'a read waiting 1.5 s, even after a fresh look',
      { observation: heartbeat(1000), probeStartedAt: now - 1500 },
      false,
      'not-responding',
      /store not responding: a read has been waiting 1\.5 s/,
    ],
    [
      'a read under way for 0.5 s: the last look stands',
      { observation: heartbeat(1000), probeStartedAt: now - 500 },
      true,
      'fresh',
      /fresh/,
    ],
  ];
  for (const [what, input, healthy, state, reason] of cases) {
    test(`${what}: ${healthy ? 'healthy' : 'unhealthy'} (${state})`, () => {
      const verdict = judgeHealth({ ...base, ...input });
      assert.equal(verdict.healthy, healthy);
      assert.equal(verdict.state, state);
      assert.match(verdict.reason, reason);
      assert.equal(
        verdict.errorCode,
        input.observation?.kind === 'unreadable' ? input.observation.code : undefined,
        'an error code exactly when unreadable',
      );
    });
  }
  test('a heartbeat verdict carries the last round and the ages', () => {
    const verdict = judgeHealth({ ...base, observation: heartbeat(60_000) });
    assert.deepEqual(
      [verdict.lastRoundId, verdict.lastRoundFinishedAt, verdict.storeAgeMs, verdict.staleAfterMs],
      ['r1', '2026-11-27T11:58:00.000Z', 60_000, 900_000],
    );
  });
});
