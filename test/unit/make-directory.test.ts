import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeDirectory } from '../../core/store/make-directory.js';
import { tempDir } from '../../harness/scratch-dir.js';

/** Fails instead of hanging the suite if makeDirectory ever loops (Node's recursive mkdir does, on procfs). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`makeDirectory still running after ${ms} ms`)), ms);
    }),
  ]);
}

describe('makeDirectory: mkdir -p that always ends', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir();
    await mkdir(join(dir.path, 'existing'));
    await writeFile(join(dir.path, 'file'), 'x');
    await symlink(join(dir.path, 'nowhere'), join(dir.path, 'dangling'));
    await symlink(join(dir.path, 'existing'), join(dir.path, 'to-dir'));
  });
  after(() => dir?.remove());

  // [what, path relative to the temp dir, the errno expected (undefined: created), the path the error names]
  const cases: Array<[string, string, string | undefined, string | undefined]> = [
    ['a fresh nested path is created', 'a/b/c/d', undefined, undefined],
    ['an existing directory is fine', 'existing', undefined, undefined],
    ['a path through a symlink to a directory is created', 'to-dir/sub/deeper', undefined, undefined],
    ['a symlink to a directory is fine', 'to-dir', undefined, undefined],
    ['an existing file is ENOTDIR', 'file', 'ENOTDIR', 'file'],
    ['a path below a file is ENOTDIR', 'file/sub/deeper', 'ENOTDIR', 'file/sub/deeper'],
    ['a dangling symlink is ENOENT', 'dangling', 'ENOENT', 'dangling'],
    ['a path below a dangling symlink is ENOENT', 'dangling/sub', 'ENOENT', 'dangling'],
  ];
  for (const [what, relative, code, named] of cases) {
    test(what, async () => {
      const path = join(dir.path, relative);
      if (code === undefined) {
        await within(2000, makeDirectory(path));
        assert.ok((await stat(path)).isDirectory());
        return;
      }
      await assert.rejects(within(2000, makeDirectory(path)), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, code);
        assert.ok(error.message.startsWith(`${code}:`), error.message);
        assert.ok(error.message.includes(join(dir.path, named!)), error.message);
        return true;
      });
    });
  }

  test('a parent that exists but refuses the child with ENOENT (procfs) fails at once, naming the path', async (t) => {
    if (!existsSync('/proc/self')) return t.skip('no procfs on this machine');
    for (const path of ['/proc/x', '/proc/x/y/z']) {
      const started = Date.now();
      await assert.rejects(within(2000, makeDirectory(path)), (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ENOENT');
        assert.match(error.message, /^ENOENT: .*'\/proc\/x'/);
        return true;
      });
      assert.ok(Date.now() - started < 1000, `${path} failed within a second`);
    }
  });

  test('callers racing to create the same path all succeed', async () => {
    const path = join(dir.path, 'race/one/two');
    await within(2000, Promise.all(Array.from({ length: 8 }, () => makeDirectory(path))));
    assert.ok((await stat(path)).isDirectory());
  });
});
