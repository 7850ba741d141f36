// An HTTP client that runs inside a network namespace (the simulated hosts'
// addresses must never be asked from the host namespace) and takes its
// requests as JSON lines on stdin, answering each as a JSON line on stdout:
// one process for the whole test instead of one per request.
//   {"id":1,"op":"get","url":"http://..."}  -> {"id":1,"status":200,"headers":{...},"body":"<base64>"}
//   {"id":2,"op":"poll","url":"http://...","status":503,"timeoutMs":5000}
//     -> {"id":2,"status":503,"elapsedMs":412,"attempts":9,"body":"<base64>"} (every 25 ms until that status)
// Usage: node namespace-http-client-main.js
import { request } from 'node:http';
import { createInterface } from 'node:readline';

interface Command {
  id: number;
  op: 'get' | 'poll';
  url: string;
  status?: number;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function handle(command: Command): Promise<Record<string, unknown>> {
  if (command.op === 'get') {
    const answer = await get(command.url);
    return { status: answer.status, headers: answer.headers, body: answer.body.toString('base64') };
  }
  const started = performance.now();
  for (let attempts = 1; ; attempts++) {
    const answer = await get(command.url);
    const elapsedMs = Math.round(performance.now() - started);
    if (answer.status === command.status || elapsedMs > (command.timeoutMs ?? 10_000)) {
      return { status: answer.status, elapsedMs, attempts, body: answer.body.toString('base64') };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command;
  handle(command).then(
    (answer) => process.stdout.write(`${JSON.stringify({ id: command.id, ...answer })}\n`),
    (error: Error) => process.stdout.write(`${JSON.stringify({ id: command.id, error: error.message })}\n`),
  );
}
