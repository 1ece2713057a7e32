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
  /** Stops recording the app it was attached to by `recordCorsDecisions(app)` (nothing to do otherwise). */
  detach(): void;
}

/** An app whose `CorsDecisionHub` the recorder subscribes to: a Nest application (before or after `init()`). */
export interface CorsRecordedApp {
  /** `app.get(token, { strict: false })`; typed loosely so that NestJS 11 and 12 apps both fit. */
  get(...args: never[]): unknown;
}

/** Recorders attached to an app, by the app and by its HTTP server: a `CorsBrowser` for either finds it. */
const attached = new WeakMap<object, CorsDecisionRecorder>();

/**
 * A recorder of the library's decisions, for a `CorsBrowser` to report beside its verdicts.
 *
 * - `recordCorsDecisions(app)` attaches it to an app built from your real `AppModule` (through
 *   the `CorsDecisionHub` that `CorsModule` provides): nothing to change in the module. Call it
 *   before or after `app.init()`; a `CorsBrowser` for that app finds it by itself.
 * - `recordCorsDecisions()` makes one to pass as the module option
 *   `onDecision: recorder.onDecision` (a test module of your own).
 *
 * @example
 * ```ts
 * const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication();
 * await app.init();
 * const decisions = recordCorsDecisions(app);
 * ```
 */
export function recordCorsDecisions(app?: CorsRecordedApp): CorsDecisionRecorder {
  const decisions: CorsDecision[] = [];
  const onDecision = Object.assign((decision: CorsDecision) => void decisions.push(decision), {
    [RECORDER]: undefined as CorsDecisionRecorder | undefined,
  });
  let detach: () => void = () => undefined;
  const recorder: CorsDecisionRecorder = {
    onDecision,
    decisions,
    clear: () => void decisions.splice(0),
    detach: () => detach(),
  };
  onDecision[RECORDER] = recorder;
  if (app !== undefined) detach = attach(app, recorder);
  return recorder;
}

function attach(app: CorsRecordedApp, recorder: CorsDecisionRecorder): () => void {
  const hub = hubOf(app);
  if (hub === undefined) {
    throw new Error(
      'nestjs-cors-policy/testing: recordCorsDecisions(app) found no CorsDecisionHub in the app: ' +
        'pass a Nest application whose modules import CorsModule.forRoot() or forRootAsync()',
    );
  }
  const unsubscribe = hub.subscribe(recorder.onDecision);
  const server = httpServerOf(app);
  for (const key of [app, server]) if (key !== undefined) attached.set(key, recorder);
  return () => {
    unsubscribe();
    for (const key of [app, server]) if (key !== undefined && attached.get(key) === recorder) attached.delete(key);
  };
}

function hubOf(app: CorsRecordedApp): { subscribe(listener: (decision: CorsDecision) => void): () => void } | undefined {
  try {
    // CORS_DECISION_HUB, by its global symbol: the kit does not load the library itself.
    const nest = app as unknown as { get: (token: symbol, options: { strict: boolean }) => unknown };
    const hub = nest.get(Symbol.for('nestjs-cors-policy:decision-hub'), { strict: false }) as { subscribe?: unknown } | undefined;
    return typeof hub?.subscribe === 'function' ? (hub as ReturnType<typeof hubOf>) : undefined;
  } catch {
    return undefined;
  }
}

function httpServerOf(app: object): object | undefined {
  try {
    const server: unknown = (app as { getHttpServer?: () => unknown }).getHttpServer?.();
    return typeof server === 'object' && server !== null ? server : undefined;
  } catch {
    return undefined; // an application context, or an app whose adapter is not set yet
  }
}

/** The recorder attached to the app (or its server) by `recordCorsDecisions(app)`, else the one whose hook the app's `CorsModule` options hold, if any. */
export function findRecorder(target: unknown): CorsDecisionRecorder | undefined {
  const recorder = typeof target === 'object' && target !== null ? attached.get(target) : undefined;
  if (recorder !== undefined) return recorder;
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
