/**
 * Logs the first event of a burst and counts the others, so that a failing dependency under
 * load writes one line per `windowMs`, never one per request.
 */
export class BurstLog {
  private lastLoggedAt = -Infinity;
  private suppressed = 0;

  constructor(private readonly windowMs: number) {}

  /** Calls `write(suppressed)` unless a line was written less than `windowMs` ago; `suppressed` counts the events since. */
  record(write: (suppressed: number) => void): void {
    const now = Date.now();
    if (now - this.lastLoggedAt < this.windowMs) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.lastLoggedAt = now;
    write(suppressed);
  }
}
