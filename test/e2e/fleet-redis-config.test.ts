import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../harness/cli-process.js';
import { redisServerMissing } from '../../harness/redis-server.js';
import { tempDir } from '../../harness/scratch-dir.js';

const skip = redisServerMissing();
const SHIPPED = new URL('../../../helm-free-deploy/redis/image-loader.conf', import.meta.url).pathname;

describe('the shipped Redis configuration', { skip }, () => {
  it('is accepted by redis-server and gives AOF, noeviction and a password the fleet reads from a file', async () => {
    const dir = await tempDir();
    try {
      // The shipped file as an operator would fill it in: this machine's loopback instead of the private address, a password.
      const conf = join(dir.path, 'image-loader.conf');
      const text = (await readFile(SHIPPED, 'utf8'))
        .replace('bind 127.0.0.1 10.0.0.5', 'bind 127.0.0.1')
        .replace('# requirepass CHANGE-ME', 'requirepass s3cret-for-the-test');
      await writeFile(conf, text);
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const started = spawnSync('redis-server', [
        conf,
        '--port',
        String(port),
        '--dir',
        dir.path,
        '--daemonize',
        'yes',
        '--pidfile',
        join(dir.path, 'redis.pid'),
        '--logfile',
        join(dir.path, 'redis.log'),
      ]);
      assert.equal(started.status, 0, started.stderr?.toString());
      const passwordFile = join(dir.path, 'redis-password');
      await writeFile(passwordFile, 's3cret-for-the-test\n');
      try {
        const env = { IMAGE_LOADER_REDIS: `redis://127.0.0.1:${port}`, IMAGE_LOADER_REDIS_PASSWORD_FILE: passwordFile };
        let status = await runCli(['status'], { env });
        for (let i = 0; i < 50 && status.code === 2 && /ECONNREFUSED/.test(status.stderr); i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          status = await runCli(['status'], { env });
        }
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, /No round has completed yet/);
        const withoutPassword = await runCli(['status'], { env: { IMAGE_LOADER_REDIS: env.IMAGE_LOADER_REDIS } });
        assert.equal(withoutPassword.code, 2);
        assert.match(withoutPassword.stderr, /IMG_ERR_REDIS.*NOAUTH/);
        const get = (name: string): string =>
          spawnSync(
            'redis-cli',
            ['-p', String(port), '--no-auth-warning', '-a', 's3cret-for-the-test', 'CONFIG', 'GET', name],
            { encoding: 'utf8' },
          ).stdout.split('\n')[1]!;
        assert.equal(get('appendonly'), 'yes');
        assert.equal(get('maxmemory-policy'), 'noeviction');
        assert.equal(get('appendfsync'), 'everysec');
      } finally {
        spawnSync('redis-cli', [
          '-p',
          String(port),
          '--no-auth-warning',
          '-a',
          's3cret-for-the-test',
          'SHUTDOWN',
          'NOSAVE',
        ]);
      }
    } finally {
      await dir.remove();
    }
  });
});
