import { Injectable } from '@nestjs/common';
import type { CorsDecision, CorsDecisionHook } from './cors-decision.interface.js';
import { isThenable } from '../is-thenable.js';

/**
 * The injection token of {@link CorsDecisionHub}, by a global symbol: the testing kit finds the
 * hub of an app without loading the library (it may be the ESM build where the app loads the CommonJS one).
 */
export const CORS_DECISION_HUB = Symbol.for('nestjs-cors-policy:decision-hub');

/**
 * Where listeners subscribe to an app's CORS decisions at run time, besides the module option
 * `onDecision`: the testing kit's `recordCorsDecisions(app)` attaches here to an app built from
 * the real `AppModule`. `CorsModule` always provides it. While nobody listens it costs nothing:
 * the middleware then builds decisions only when `onDecision` is set, exactly as without the hub.
 *
 * @example
 * ```ts
 * const stop = app.get(CorsDecisionHub).subscribe((decision) => metrics.record(decision));
 * stop(); // unsubscribes
 * ```
 */
@Injectable()
export class CorsDecisionHub {
  private readonly listeners = new Set<CorsDecisionHook>();
  private changed: (() => void) | undefined;

  /** Calls `listener` with every decision from now on (HTTP requests); returns the function that unsubscribes it. */
  subscribe(listener: CorsDecisionHook): () => void {
    this.listeners.add(listener);
    this.changed?.();
    return () => {
      if (this.listeners.delete(listener)) this.changed?.();
    };
  }

  /** @internal Called once the middleware is active: `changed` re-activates it when listeners come or go. */
  watch(changed: () => void): void {
    this.changed = changed;
  }

  /**
   * @internal The hook the middleware reports to: `own` (the module option) when nobody listens,
   * so that without listeners nothing changes; else `own` and every listener, each isolated
   * from the others' failures (the first failure is rethrown for the reporter to log).
   */
  hookFor(own: CorsDecisionHook | undefined): CorsDecisionHook | undefined {
    if (this.listeners.size === 0) return own;
    const hooks = own === undefined ? [...this.listeners] : [own, ...this.listeners];
    return (decision: CorsDecision) => fanOut(hooks, decision);
  }
}

function fanOut(hooks: readonly CorsDecisionHook[], decision: CorsDecision): unknown {
  let failure: { error: unknown } | undefined;
  const pending: PromiseLike<unknown>[] = [];
  for (const hook of hooks) {
    try {
      const result = hook(decision);
      if (isThenable(result)) pending.push(result);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
  return pending.length === 0 ? undefined : Promise.all(pending);
}
