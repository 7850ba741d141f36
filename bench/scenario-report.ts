import type { BenchArgs } from './bench-args.js';
import type { Environment } from './environment.js';

/** What every table may mention: the machine and the command line the figures come from. */
export interface ReportContext {
  environment: Environment;
  args: BenchArgs;
}

/** A target held against a scenario's measured figures. */
export interface TargetOutcome {
  label: string;
  measured: string;
  /** undefined when a figure it needs is missing (failed runs), or when the target states no threshold. */
  met: boolean | undefined;
}

/**
 * What one kind of scenario contributes to the report (report.ts prints
 * them all the same way): its tables as Markdown lines, its targets, and
 * one line per failed run. A scenario with any failure makes the bench exit 1.
 */
export interface ScenarioReport<Result> {
  tables(result: Result, context: ReportContext): string[];
  targets(result: Result): TargetOutcome[];
  failures(result: Result): string[];
}
