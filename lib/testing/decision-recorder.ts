import type { CorsDecision } from '../decisions/cors-decision.interface.js';

/** Marks a hook made by {@link recordCorsDecisions}, so that a `CorsBrowser` finds its recorder in the app. */
export const RECORDER = Symbol.for('nestjs-cors-policy/testing:decision-recorder');

/** Collects the library's decisions, for a `CorsBrowser` to report next to the browser's verdict. */
export interface CorsDecisionRecorder {
  /** Pass it as the module option: `CorsModule.forRoot({ ..., onDecision: recorder.onDecision })`. */
  readonly onDecision: (decision: CorsDecision) => void;
  /** Every decision recorded, oldest first. */
  readonly decisions: readonly CorsDecision[];
  /** Forgets the decisions recorded so far. */
  clear(): void;
}

/**
 * A recorder of `onDecision` calls. A `CorsBrowser` created for the app finds it through the
 * module options (or take it as its `decisions` option when the hook is wrapped in another).
 *
 * @example
 * ```ts
 * const recorder = recordCorsDecisions();
 * CorsModule.forRoot({ origin: ['https://app.example.com'], onDecision: recorder.onDecision });
 * ```
 */
export function recordCorsDecisions(): CorsDecisionRecorder {
  const decisions: CorsDecision[] = [];
  const onDecision = Object.assign((decision: CorsDecision) => void decisions.push(decision), {
    [RECORDER]: undefined as CorsDecisionRecorder | undefined,
  });
  const recorder: CorsDecisionRecorder = {
    onDecision,
    decisions,
    clear: () => void decisions.splice(0),
  };
  onDecision[RECORDER] = recorder;
  return recorder;
}

/** The recorder whose hook the app's `CorsModule` options hold, if any. */
export function findRecorder(target: unknown): CorsDecisionRecorder | undefined {
  const get = (target as { get?: unknown } | null)?.get;
  if (typeof get !== 'function') return undefined;
  try {
    // CORS_POLICY_MODULE_OPTIONS, by its global symbol: the kit does not load the library itself.
    const options = (get as (token: symbol, options: object) => unknown).call(target, Symbol.for('nestjs-cors-policy:module-options'), {
      strict: false,
    }) as { onDecision?: { [RECORDER]?: CorsDecisionRecorder } } | undefined;
    return options?.onDecision?.[RECORDER];
  } catch {
    return undefined;
  }
}
