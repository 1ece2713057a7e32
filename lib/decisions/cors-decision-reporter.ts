import type { Logger } from '@nestjs/common';
import { BurstLog } from './burst-log.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRequest } from '../cors-request.interface.js';
import type { RefusalReason } from './cors-refusal.js';
import type { CorsDecision, CorsDecisionHook, CorsDecisionReason } from './cors-decision.interface.js';
import { explainPatternMiss, matchedPatternRule } from '../origins/origin-explanation.js';
import { isThenable } from '../is-thenable.js';

/** Failures of the hook are logged once per burst of this length. */
const HOOK_FAILURE_BURST_MS = 10_000;

/**
 * Hands decisions to the user's `onDecision`. Present only when the option is set, so that
 * without it the middleware builds nothing. The hook can never change or delay the response:
 * its errors (thrown or rejected) are caught and logged once per burst, its promises not awaited.
 */
export class DecisionReporter {
  private readonly failures = new BurstLog(HOOK_FAILURE_BURST_MS);
  private readonly onRejected = (error: unknown): void => {
    this.fail(error);
  };

  constructor(
    private readonly hook: CorsDecisionHook,
    private readonly logger: Logger,
  ) {}

  report(
    preflight: boolean,
    allowed: boolean,
    origin: string,
    method: string,
    req: CorsRequest,
    route: string | undefined,
    policy: CompiledPolicy,
    reason: RefusalReason | undefined,
  ): void {
    const base = { preflight, allowed, origin, method, path: pathOf(req), route, policy: policy.describedAs };
    const judged: CorsDecision = reason === undefined || allowed ? base : { ...base, reason: toDecisionReason(reason) };
    const decision = withOriginRule(judged, policy, origin, reason);
    // Only a scoped policy pays for its scope, read again here rather than carried by every request.
    const scope = policy.scope?.read(req);
    if (scope !== undefined) (decision as { scope?: string }).scope = scope;
    try {
      const result = this.hook(decision);
      if (isThenable(result)) result.then(undefined, this.onRejected);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    this.failures.record((suppressed) => {
      const more = suppressed > 0 ? ` (${suppressed} more failures since the last report)` : '';
      const cause = error instanceof Error ? error.message : String(error);
      this.logger.error(`onDecision failed; the response was not affected: ${cause}${more}`);
    });
  }
}

/** The refusals that leave the origin refused (the others come after an allowed origin, on a preflight). */
const ORIGIN_REFUSALS: ReadonlySet<RefusalReason | undefined> = new Set([
  'origin not a serialized origin',
  'resolver failed',
  'resolver busy',
]);

/** Adds which pattern rule allowed the origin, or why the pattern rule nearest to it did not (only when there is one). */
function withOriginRule(decision: CorsDecision, policy: CompiledPolicy, origin: string, reason: RefusalReason | undefined): CorsDecision {
  if (policy.wildcard || ORIGIN_REFUSALS.has(reason)) return decision;
  if (reason === 'origin not trusted') {
    const detail = explainPatternMiss(policy.origins, origin);
    return detail === undefined ? decision : { ...decision, detail };
  }
  const matchedRule = matchedPatternRule(policy.origins, origin);
  return matchedRule === undefined ? decision : { ...decision, matchedRule };
}

/** A malformed header list is, for the page, a header the server did not allow. */
function toDecisionReason(reason: RefusalReason): CorsDecisionReason {
  return reason === 'malformed Access-Control-Request-Headers' ? 'header not allowed' : reason;
}

function pathOf(req: CorsRequest): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
