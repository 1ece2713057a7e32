import type { LoggerService } from '@nestjs/common';

/** Keeps what an app logs through Nest's Logger (process-wide: one for every app of a suite), to read warnings and explanations. */
export class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  log(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown): void {
    this.lines.push(String(message));
  }
  warn(message: unknown): void {
    this.lines.push(String(message));
    this.warnings.push(String(message));
  }
  /** Every line (log, warning, error) that contains `text`. */
  about(text: string): string[] {
    return this.lines.filter((line) => line.includes(text));
  }
}
