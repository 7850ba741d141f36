import { eachLimited } from '../core/store/each-limited.js';

const RESPONSE_TIMEOUT_MS = 60_000;

/**
 * GETs every URL once from the bench's own process, `concurrency` at a time, and drops the bodies: an untimed
 * pass before a scenario's timed runs. A fresh origin process serves its first pass markedly slower than the
 * next ones (200 x 5 MiB: curl 3.09 s on a new origin, then 1.74 and 1.43 s; 2.69 then 1.43 s after the
 * origin had idled 20 s first, so it is the first serving, not the time since start), and the tools run in a
 * fixed order: without this pass, the first tool of the first round (image-loader) paid for it alone.
 * Rejects on the first answer other than 200.
 */
export async function warmOrigin(urls: readonly string[], concurrency: number): Promise<void> {
  await eachLimited(urls, concurrency, async (url) => {
    const response = await fetch(url, { signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS) });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`warming the origin: ${url} answered HTTP ${response.status}`);
    }
    if (response.body !== null) for await (const _chunk of response.body);
  });
}
