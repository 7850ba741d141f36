import { readSecretFile } from '../../core/config/read-secret-file.js';
import { ErrorCode } from '../../core/errors/error-codes.js';
import { ImageLoaderError } from '../../core/errors/image-loader-error.js';

/** Shortest token accepted: a guessable one would open the metrics to anyone. */
const MIN_TOKEN_LENGTH = 16;

/**
 * Reads the metrics bearer token from `--metrics-token-file` (one line);
 * undefined when no file is set. Throws IMG_ERR_INVALID_CONFIG for a file
 * that cannot be read, or a token shorter than 16 characters or with
 * spaces or control characters.
 */
export async function readMetricsToken(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  const token = await readSecretFile(path, `the metrics token file ${path} (--metrics-token-file)`);
  if (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      `the metrics token file ${path} (--metrics-token-file): expected one line of at least ${MIN_TOKEN_LENGTH} printable characters without spaces`,
    );
  }
  return token;
}
