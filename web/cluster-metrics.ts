import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** Worker → primary: this worker's registry is ready to be read. */
const READY = 'image-loader:metrics-ready';
/** Worker → primary: the sum over all workers, please. */
const ASK = 'image-loader:metrics?';
/** Primary → worker: the sum, or why there is none. */
const ANSWER = 'image-loader:metrics';
/** Primary → worker: your registry's metrics, please. */
const COLLECT = 'image-loader:metrics-collect';
/** Worker → primary: my registry's metrics. */
const COLLECTED = 'image-loader:metrics-collected';

/** How long the primary waits for every worker's metrics; a worker missing then fails the scrape. */
const COLLECT_TIMEOUT_MS = 3_000;
/** How long a worker waits for the primary's sum: longer than the primary's own wait, so its error comes through. */
const ANSWER_TIMEOUT_MS = 5_000;

/** One worker's metrics, as `Registry.getMetricsAsJSON` gives them and `AggregatorRegistry.aggregate` takes them. */
type Metrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

type Message =
  | { type: typeof READY }
  | { type: typeof ASK; id: number }
  | { type: typeof ANSWER; id: number; text?: string; error?: string }
  | { type: typeof COLLECT; id: number }
  | { type: typeof COLLECTED; id: number; metrics: Metrics };

/** Sends `message` unless the channel is gone (a worker stopping, a primary that exited): a lost scrape, not a crash. */
function sendTo(target: Worker | NodeJS.Process, message: Message): void {
  const connected = 'isConnected' in target ? target.isConnected() : target.connected;
  if (connected) target.send?.(message, undefined, undefined, () => undefined);
}

/**
 * In the primary of `web --workers N`: answers a worker's request for the
 * node's exposition text with every ready worker's metrics summed
 * (AggregatorRegistry.aggregate: counters add up, gauges follow their
 * `aggregator`), so a scrape gives the same totals whichever worker takes
 * it. A worker that does not answer within COLLECT_TIMEOUT_MS fails that
 * scrape (partial counters would look like a counter reset to Prometheus);
 * every collection is forgotten when it ends, answered or not.
 */
export function answerClusterMetrics(): void {
  const ready = new Set<Worker>();
  const collecting = new Map<number, { pending: Set<Worker>; metrics: Metrics[]; finish(error?: string): void }>();
  let nextId = 0;
  cluster.on('exit', (worker) => {
    ready.delete(worker);
    for (const collection of collecting.values())
      if (collection.pending.has(worker)) collection.finish('a worker exited during the scrape');
  });
  cluster.on('message', (worker, message: Message) => {
    if (message?.type === READY) ready.add(worker);
    else if (message?.type === COLLECTED) {
      const collection = collecting.get(message.id);
      if (collection === undefined || !collection.pending.delete(worker)) return;
      collection.metrics.push(message.metrics);
      if (collection.pending.size === 0) collection.finish();
    } else if (message?.type === ASK) {
      const id = nextId++;
      const timer = setTimeout(
        () => collection.finish(`no answer from a worker within ${COLLECT_TIMEOUT_MS} ms`),
        COLLECT_TIMEOUT_MS,
      );
      const collection = {
        pending: new Set(ready),
        metrics: [] as Metrics[],
        finish: (error?: string): void => {
          if (!collecting.delete(id)) return;
          clearTimeout(timer);
          if (error !== undefined) {
            sendTo(worker, { type: ANSWER, id: message.id, error });
            return;
          }
          AggregatorRegistry.aggregate(collection.metrics)
            .metrics()
            .then(
              (text) => sendTo(worker, { type: ANSWER, id: message.id, text }),
              (failure: Error) => sendTo(worker, { type: ANSWER, id: message.id, error: failure.message }),
            );
        },
      };
      collecting.set(id, collection);
      for (const each of collection.pending) sendTo(each, { type: COLLECT, id });
      if (collection.pending.size === 0) collection.finish('no worker is ready');
    }
  });
}

/**
 * In a worker: gives the primary `registry`'s metrics when it collects them,
 * tells it this worker is ready, and returns how to read the sum over all
 * workers (rejects when the primary does not answer within ANSWER_TIMEOUT_MS
 * or is gone).
 */
export function clusterMetricsText(registry: Registry): () => Promise<string> {
  const waiting = new Map<number, (answer: { text?: string; error?: string }) => void>();
  let nextId = 0;
  process.on('message', (message: Message) => {
    if (message?.type === COLLECT)
      void registry.getMetricsAsJSON().then((metrics) => sendTo(process, { type: COLLECTED, id: message.id, metrics }));
    else if (message?.type === ANSWER) waiting.get(message.id)?.(message);
  });
  sendTo(process, { type: READY });
  return () =>
    new Promise<string>((resolve, reject) => {
      if (!process.connected) return reject(new Error('the primary is gone'));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the primary did not answer within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'no metrics'));
      });
      sendTo(process, { type: ASK, id });
    });
}
