import { type GroupProcess, startGroupProcess } from './group-process.js';

const MAIN = new URL('./namespace-http-client-main.js', import.meta.url).pathname;

export interface NamespaceResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface PollResult {
  status: number;
  /** From the client receiving the command to the answer with the wanted status (or the last one). */
  elapsedMs: number;
  attempts: number;
  body: Buffer;
}

/** HTTP requests made from inside a network namespace, by one long-running client process there (see namespace-http-client-main.ts). */
export interface NamespaceHttpClient {
  get(url: string): Promise<NamespaceResponse>;
  /** GETs `url` every 25 ms until it answers `status` (or `timeoutMs` passes: then the last answer). */
  poll(url: string, status: number, timeoutMs: number): Promise<PollResult>;
  process: GroupProcess;
  close(): Promise<void>;
}

/** `execPrefix`: the argv that enters the namespace, e.g. `['ip', 'netns', 'exec', NS]`. */
export function startNamespaceHttpClient(execPrefix: string[]): NamespaceHttpClient {
  const client = startGroupProcess('the HTTP client', [...execPrefix, process.execPath, MAIN]);
  const waiting = new Map<number, { resolve(answer: Record<string, unknown>): void; reject(error: Error): void }>();
  let nextId = 1;
  let buffered = '';
  client.child.stdout!.on('data', (text: string) => {
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const answer = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown> & { id: number; error?: string };
      buffered = buffered.slice(newline + 1);
      const waiter = waiting.get(answer.id);
      waiting.delete(answer.id);
      if (answer.error !== undefined) waiter?.reject(new Error(answer.error));
      else waiter?.resolve(answer);
    }
  });
  client.child.once('close', () => {
    for (const waiter of waiting.values())
      waiter.reject(new Error(`the HTTP client exited: ${client.output().stderr.slice(-2000)}`));
    waiting.clear();
  });
  const send = (command: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      client.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  return {
    process: client,
    get: async (url) => {
      const answer = await send({ op: 'get', url });
      return {
        status: answer.status as number,
        headers: answer.headers as NamespaceResponse['headers'],
        body: Buffer.from(answer.body as string, 'base64'),
      };
    },
    poll: async (url, status, timeoutMs) => {
      const answer = await send({ op: 'poll', url, status, timeoutMs });
      return {
        status: answer.status as number,
        elapsedMs: answer.elapsedMs as number,
        attempts: answer.attempts as number,
        body: Buffer.from(answer.body as string, 'base64'),
      };
    },
    close: async () => {
      client.child.stdin!.end();
      await client.stop(2_000);
    },
  };
}
