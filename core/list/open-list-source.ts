import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import type { ListSource } from './list-source.js';
import { openRemoteList } from './open-remote-list.js';

/**
 * Opens a list file, standard input for `-`, or an http(s):// URL. Fails at once, with
 * IMG_ERR_LIST_UNREADABLE, when the file cannot be read: nothing has been
 * downloaded yet, so the caller can exit 2 with a clear message. `stop`
 * ends the wait for a list server that does not answer.
 */
export async function openListSource(
  path: string,
  stdin: Readable = process.stdin,
  stop?: AbortSignal,
): Promise<ListSource> {
  if (path === '-') return { name: 'standard input', chunks: stdin, close: async () => {} };
  if (/^https?:\/\//i.test(path)) return await openRemoteList(path, stop);
  try {
    const handle = await open(path, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    const stream = handle.createReadStream({ highWaterMark: 64 * 1024 });
    return { name: path, chunks: stream, close: async () => void stream.destroy() };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ImageLoaderError(ErrorCode.ListUnreadable, `cannot read URL list ${path}: ${reason}`, { cause: error });
  }
}
