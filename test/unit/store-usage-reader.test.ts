import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStoreUsage } from '../../web/store-usage-reader.js';

describe('parseStoreUsage: the store field of a summary head', () => {
  const usage = { liveFiles: 3, liveBytes: 300, graceFiles: 1, graceBytes: 100 };
  const cases: Array<[what: string, head: string, expected: typeof usage | undefined]> = [
    [
      'a summary with store before its entries',
      `{"schema":"image-loader/round@1","store":${JSON.stringify(usage)},"entries":[`,
      usage,
    ],
    ['no store (a round before pruning existed)', '{"schema":"image-loader/round@1","entries":[]}', undefined],
    ['a field missing', '{"store":{"liveFiles":3,"liveBytes":300}}', undefined],
    ['a field not a number', '{"store":{"liveFiles":"3","liveBytes":300,"graceFiles":1,"graceBytes":1}}', undefined],
    ['cut inside the object', '{"store":{"liveFiles":3,"liveBy', undefined],
  ];
  for (const [what, head, expected] of cases) test(what, () => assert.deepEqual(parseStoreUsage(head), expected));
});
