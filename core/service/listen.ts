import type { Server } from 'node:net';

/** Starts `server` listening; rejects with the listen error (a port in use, an address not on this host). */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
