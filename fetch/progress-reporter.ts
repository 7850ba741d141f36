import { formatBytes } from '../core/config/format-bytes.js';
import type { RoundEvent } from '../core/round/run-round.js';

export interface ProgressOptions {
  listName: string;
  stream: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Redraw one status line in place (a terminal) instead of printing periodic lines. */
  live: boolean;
  quiet: boolean;
  /** Plain-line period when not live. @defaultValue 10000 */
  intervalMs?: number;
}

/**
 * Shows a round as it runs, on stderr so stdout stays clean for `--json`:
 * a status line redrawn in place on a terminal, a plain line every few
 * seconds otherwise (journald, CI logs), nothing but errors with `--quiet`.
 * Bad list lines are errors and are printed as they are read.
 */
export class ProgressReporter {
  private done = 0;
  private failed = 0;
  private bytes = 0;
  /** Entries of the whole list, once the round has read it to its end. */
  private listEntries: number | undefined;
  /** Entries the list is expected to hold (a quick pre-count), until the round has read it all. */
  private expected: number | undefined;
  private readonly startedAt = Date.now();
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;
  private lineShown = false;
  private saidInvalidOmitted = false;
  private saidDuplicatesOmitted = false;

  constructor(private readonly options: ProgressOptions) {
    if (!options.quiet && !options.live) {
      this.timer = setInterval(() => this.write(`${this.status()}\n`), options.intervalMs ?? 10_000);
      this.timer.unref();
    }
  }

  readonly onEvent = (event: RoundEvent): void => {
    switch (event.type) {
      case 'entry':
        this.done++;
        this.bytes += event.transferred;
        if (event.entry.status === 'failed') this.failed++;
        break;
      case 'invalid-line':
        if (event.listed)
          this.print(`${this.options.listName}:${event.line}: ${event.code}: ${event.reason}: ${event.raw}`);
        else if (!this.saidInvalidOmitted) {
          this.saidInvalidOmitted = true;
          this.print(
            `${this.options.listName}:${event.line}: more invalid lines; from here on they are counted in the summary, not printed`,
          );
        }
        break;
      case 'duplicate':
        if (this.options.quiet) break;
        if (event.listed) {
          this.print(
            `${this.options.listName}:${event.duplicate.line}: duplicate of line ${event.duplicate.firstLine}, downloaded once: ${event.duplicate.url}`,
          );
        } else if (!this.saidDuplicatesOmitted) {
          this.saidDuplicatesOmitted = true;
          this.print(
            `${this.options.listName}:${event.duplicate.line}: more duplicates; from here on they are counted in the summary, not printed`,
          );
        }
        break;
      case 'list-read':
        this.listEntries = event.entries;
        break;
      case 'retry':
        break;
    }
    this.draw();
  };

  /** A quick count of the list's entries, for the bar before the list is read to its end. */
  expectEntries(count: number | undefined): void {
    this.expected = count;
  }

  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.lineShown) this.options.stream.write('\r\x1b[2K');
    this.lineShown = false;
  }

  private print(message: string): void {
    if (this.lineShown) this.options.stream.write('\r\x1b[2K');
    this.lineShown = false;
    this.options.stream.write(`${message}\n`);
  }

  private draw(): void {
    if (this.options.quiet || !this.options.live) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.options.stream.write(`\r\x1b[2K${this.bar()} ${this.status()}`);
    this.lineShown = true;
  }

  private total(): number | undefined {
    return this.listEntries ?? this.expected;
  }

  private bar(): string {
    const total = this.total();
    if (total === undefined || total === 0) return '';
    const width = 24;
    const filled = Math.min(width, Math.round((this.done / total) * width));
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }

  private status(): string {
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const total = this.total() ?? '?';
    return `${this.done}/${total} done, ${(this.done / seconds).toFixed(1)}/s, ${formatBytes(this.bytes)} received, ${this.failed} failed`;
  }

  private write(text: string): void {
    this.options.stream.write(text);
  }
}
