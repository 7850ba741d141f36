/** What wrk printed about one load run (`wrk --latency`). */
export interface WrkFigures {
  requests: number;
  durationSecs: number;
  requestsPerSec: number;
  /** Body and header bytes read, from "N requests in Ts, X MB read". */
  bytesRead: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number; max: number };
  /** wrk prints "Socket errors" only when one is not 0. */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Responses whose status was not 2xx or 3xx (wrk prints the line only when not 0). */
  non2xx3xx: number;
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// wrk's format_binary: powers of 1024.
const BYTE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Parses wrk 4's report; throws, quoting the output, when a figure that is always printed is missing. */
export function parseWrkOutput(text: string): WrkFigures {
  const need = (pattern: RegExp, what: string): RegExpExecArray => {
    const match = pattern.exec(text);
    if (match === null) throw new Error(`wrk output has no ${what}: ${text.trim().slice(0, 600)}`);
    return match;
  };
  const ms = (value: string, unit: string): number => Number(value) * (TIME_UNITS_MS[unit] ?? Number.NaN);
  const percentile = (p: number): number => {
    const match = need(
      new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'),
      `${p}% latency (was --latency given?)`,
    );
    return ms(match[1]!, match[2]!);
  };
  const latency = need(/^\s*Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m|h)/m, 'latency line');
  const total = need(
    /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)(B|KB|MB|GB|TB) read/m,
    '"requests in" line',
  );
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    durationSecs: ms(total[2]!, total[3]!) / 1000,
    requestsPerSec: Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]),
    bytesRead: Number(total[4]) * (BYTE_UNITS[total[5]!] ?? Number.NaN),
    latencyMs: {
      p50: percentile(50),
      p75: percentile(75),
      p90: percentile(90),
      p99: percentile(99),
      max: ms(latency[1]!, latency[2]!),
    },
    socketErrors:
      socket === null
        ? { connect: 0, read: 0, write: 0, timeout: 0 }
        : { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) },
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
  };
}

/** Socket errors of every kind plus non-2xx/3xx responses: the figure that must be 0. */
export function wrkErrorCount(figures: WrkFigures): number {
  const { connect, read, write, timeout } = figures.socketErrors;
  return connect + read + write + timeout + figures.non2xx3xx;
}
