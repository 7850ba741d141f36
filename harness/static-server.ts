import type { ProcessUsage } from './process-usage.js';

/** A static HTTP server on 127.0.0.1 serving a folder (a store's human tree), as load scenarios drive it. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** CPU and memory summed over the server's processes (nginx: master and worker); undefined once it has gone. */
  usage(): ProcessUsage | undefined;
  stop(): Promise<void>;
}
