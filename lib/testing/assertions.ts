import type { CorsDecisionReason } from '../decisions/cors-decision.interface.js';
import type { CorsOutcome, CorsRefusal } from './cors-browser.js';

/** What {@link assertCorsAllowed} checks beyond the browser's verdict. */
export interface CorsAllowedExpectation {
  /** Response headers the page's script must be able to read (exposed, or CORS-safelisted). */
  readonly readable?: readonly string[];
  /** Skip the `Vary: Origin` check (for an answer a cache never stores). @defaultValue `false` */
  readonly ignoreVary?: boolean;
}

/** What {@link assertCorsRefused} checks beyond the browser's verdict. */
export interface CorsRefusedExpectation {
  /** The step at which the browser refuses. */
  readonly step?: CorsRefusal['step'];
  /** The browser's reason (a substring or a pattern). */
  readonly reason?: string | RegExp;
  /** The library's reason (`CorsDecision.reason`), when its decisions are recorded. */
  readonly decisionReason?: CorsDecisionReason;
  /** Skip the `Vary: Origin` check. @defaultValue `false` */
  readonly ignoreVary?: boolean;
}

/**
 * Throws an `Error` (explaining the exchanges and the library's decisions) unless the page could
 * read the response, the `readable` headers included, and `Vary` is right.
 *
 * @example `assertCorsAllowed(await browser.fetch('/orders', { credentials: 'include' }), { readable: ['X-Total-Count'] })`
 */
export function assertCorsAllowed(outcome: CorsOutcome, expected: CorsAllowedExpectation = {}): void {
  const failures: string[] = [];
  if (!outcome.allowed) failures.push('the browser refuses the response');
  const unreadable = (expected.readable ?? []).filter((name) => !outcome.canRead(name));
  if (outcome.allowed && unreadable.length > 0)
    failures.push(`the page cannot read ${unreadable.join(', ')} (not in Access-Control-Expose-Headers)`);
  if (expected.ignoreVary !== true) failures.push(...outcome.problems);
  if (failures.length > 0) throw new Error(`Expected CORS to allow the call: ${failures.join('; ')}\n${outcome.describe()}`);
}

/**
 * Throws an `Error` unless a browser refuses the call (at `step`, for `reason`, and with the
 * library's `decisionReason` when given) and `Vary` is right.
 *
 * @example `assertCorsRefused(await browser.fetch('/admin'), { decisionReason: 'origin not trusted' })`
 */
export function assertCorsRefused(outcome: CorsOutcome, expected: CorsRefusedExpectation = {}): void {
  const failures: string[] = [];
  const refusal = outcome.refusal;
  if (refusal === undefined) failures.push('the browser lets the page read the response');
  else {
    if (expected.step !== undefined && refusal.step !== expected.step)
      failures.push(`refused at the ${refusal.step}, not at the ${expected.step}`);
    const reason = expected.reason;
    if (reason !== undefined && !(typeof reason === 'string' ? refusal.reason.includes(reason) : reason.test(refusal.reason))) {
      failures.push(`the browser's reason does not match ${String(reason)}`);
    }
    if (expected.decisionReason !== undefined && refusal.decision?.reason !== expected.decisionReason) {
      failures.push(
        refusal.decision === undefined
          ? `no decision of the library was recorded (expected ${expected.decisionReason}; attach recordCorsDecisions())`
          : `the library's reason is ${refusal.decision.reason ?? '(none: it allowed)'}, not ${expected.decisionReason}`,
      );
    }
  }
  if (expected.ignoreVary !== true) failures.push(...outcome.problems);
  if (failures.length > 0) throw new Error(`Expected CORS to refuse the call: ${failures.join('; ')}\n${outcome.describe()}`);
}
