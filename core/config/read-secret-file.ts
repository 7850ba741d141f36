import { readFile } from 'node:fs/promises';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';

/**
 * A secret kept in a file of one line (a password, a token), without its
 * line end. A file that cannot be read stops start-up with
 * IMG_ERR_INVALID_CONFIG: "cannot read `what`: ENOENT", `what` naming the
 * file and the setting that gave it.
 */
export async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      `cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
}
