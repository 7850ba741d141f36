/** What every scenario runner is given: the command line's choices, its scratch folder and its progress log. */
export interface BenchOptions {
  runs: number;
  concurrency: number;
  perHost: number;
  /** Longest one tool run may take before it is killed and reported as failed. */
  runTimeoutMs: number;
  /** Fleet scenarios: run Redis with AOF (appendfsync everysec, the shipped configuration) instead of no persistence. */
  redisAof: boolean;
  /** web-load: seconds each server is under load, and wrk's connections. */
  loadSecs: number;
  loadConnections: number;
  scratchRoot: string;
  log(message: string): void;
}
