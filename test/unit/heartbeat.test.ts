import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHeartbeat } from '../../core/store/heartbeat.js';

const good = {
  schema: 'image-loader/heartbeat@1',
  at: '2026-11-27T12:00:00.000Z',
  everyMs: 300_000,
  lastRoundId: 'r1',
  lastRoundFinishedAt: '2026-11-27T11:59:00.000Z',
};

describe('parseHeartbeat', () => {
  const cases: Array<[what: string, text: string, ok: boolean]> = [
    ['a full heartbeat', JSON.stringify(good), true],
    ['one with only the required fields', JSON.stringify({ schema: good.schema, at: good.at, everyMs: 1000 }), true],
    ['an unknown schema', JSON.stringify({ ...good, schema: 'image-loader/heartbeat@2' }), false],
    ['a time that is no date', JSON.stringify({ ...good, at: 'yesterday' }), false],
    ['no interval', JSON.stringify({ ...good, everyMs: undefined }), false],
    ['a torn file', JSON.stringify(good).slice(0, 20), false],
    ['an empty file', '', false],
    ['JSON null', 'null', false],
  ];
  for (const [what, text, ok] of cases) {
    test(`${what}: ${ok ? 'read' : 'refused'}`, () => assert.equal(parseHeartbeat(text) !== undefined, ok));
  }
});
