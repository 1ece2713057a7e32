import type { Logger } from '@nestjs/common';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { RefusalExplainer, type RefusalReason } from './cors-refusal.js';

/** Default window of `debug: { refusals: 'sampled' }`. */
export const DEFAULT_REFUSAL_WINDOW_MS = 60_000;
/**
 * The most (origin, route, reason) keys remembered at once. A flood of distinct origins fills
 * it; the keys beyond it are not logged until the oldest ones' windows end, and are counted.
 */
export const MAX_SAMPLED_REFUSAL_KEYS = 1_000;

interface Sample {
  readonly loggedAt: number;
  suppressed: number;
}

/**
 * `debug: { refusals: 'sampled' }`: logs a refusal once per origin, route and reason per
 * window, and how many of the same were not logged since. Memory and lines are bounded by
 * {@link MAX_SAMPLED_REFUSAL_KEYS} per window, whatever the number of origins sent.
 */
export class SampledRefusalExplainer extends RefusalExplainer {
  /** In logging order (each key is re-inserted when logged), so the oldest comes first. */
  private readonly samples = new Map<string, Sample>();
  /** Refusals with a new key not logged because the table was full, reported with the next line. */
  private overflow = 0;

  constructor(
    logger: Logger,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super(logger);
  }

  override explain(reason: RefusalReason, origin: string, route: string, policy: CompiledPolicy, detail = ''): void {
    const now = this.now();
    const key = `${origin}\n${route}\n${reason}`;
    const known = this.samples.get(key);
    if (known !== undefined && now - known.loggedAt < this.windowMs) {
      known.suppressed++;
      return;
    }
    if (known !== undefined) this.samples.delete(key);
    else if (!this.makeRoom(now)) {
      this.overflow++;
      return;
    }
    this.samples.set(key, { loggedAt: now, suppressed: 0 });
    const notes = [detail];
    if (known !== undefined && known.suppressed > 0) notes.push(`${known.suppressed} more since the last line`);
    if (this.overflow > 0) notes.push(`${this.overflow} refusals of other origins or routes not logged: too many distinct ones`);
    this.overflow = 0;
    super.explain(reason, origin, route, policy, notes.filter((note) => note !== '').join('; '));
  }

  /** Forgets keys whose window has ended, oldest first; `false` when the table is still full. */
  private makeRoom(now: number): boolean {
    for (const [key, sample] of this.samples) {
      if (this.samples.size < MAX_SAMPLED_REFUSAL_KEYS) break;
      if (now - sample.loggedAt < this.windowMs) break;
      this.samples.delete(key);
    }
    return this.samples.size < MAX_SAMPLED_REFUSAL_KEYS;
  }
}
