import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ErrorCode } from '../errors/error-codes.js';
import { ImageLoaderError } from '../errors/image-loader-error.js';
import { listen } from '../service/listen.js';

export interface MetricsServer {
  /** The address and port listened on (the port is useful with 0). */
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `registry` at GET /metrics (and nothing else) on `host:port`: the
 * `--metrics-port` of a worker or `fetch`. A port it cannot listen on is
 * IMG_ERR_INVALID_CONFIG (exit 2), naming the setting.
 */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  try {
    await listen(server, host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ImageLoaderError(
      ErrorCode.InvalidConfig,
      `--metrics-port (IMAGE_LOADER_METRICS_PORT): cannot listen on ${host} port ${port}: ${code}`,
      { cause: error },
    );
  }
  // The process's own work keeps it running; metrics alone must not keep a process that failed to start from exiting.
  server.unref();
  const address = server.address() as AddressInfo;
  return {
    address: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the process.
        server.closeAllConnections();
      }),
  };
}
