/** Fields of one log line. Values must be JSON-serialisable; errors are reduced to their code and message. */
export type LogFields = Record<string, unknown>;

export type LogLevel = 'info' | 'warn' | 'error';

/** Where log lines go: a stream (stdout), or a BatchedLineWriter in front of one. */
export interface LogSink {
  write(text: string): unknown;
}

/**
 * Structured logs for the long-running processes: one JSON object a line on
 * stdout, which journald keeps as is and `jq` reads. Every line has `time`,
 * `level` and `msg`, then the logger's own fields (process, pid), then the
 * call's (roundId and url on every per-URL line).
 */
export class JsonLogger {
  constructor(
    private readonly stream: LogSink,
    private readonly fields: LogFields = {},
    private readonly clock: () => Date = () => new Date(),
  ) {}

  child(fields: LogFields): JsonLogger {
    return new JsonLogger(this.stream, { ...this.fields, ...fields }, this.clock);
  }

  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  private write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const line = { time: this.clock().toISOString(), level, msg, ...this.fields, ...fields };
    this.stream.write(`${JSON.stringify(line, replaceErrors)}\n`);
  }
}

function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { code } = value as { code?: unknown };
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  return value;
}
