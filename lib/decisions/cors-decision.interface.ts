/** Why a CORS request was refused, as {@link CorsDecision.reason} names it. */
export type CorsDecisionReason =
  | 'origin not trusted'
  | 'origin not a serialized origin'
  | 'method not allowed'
  | 'header not allowed'
  | 'resolver failed'
  | 'resolver busy'
  | 'no scope';

/**
 * What the library decided for one CORS request (BRIEF §8), passed to the module option
 * `onDecision`: one per request that carries `Origin` and meets an enabled policy, preflight
 * or actual. Requests without `Origin` and routes with CORS off produce none.
 *
 * @example
 * ```ts
 * { preflight: true, allowed: false, origin: 'https://app.example.com', method: 'DELETE',
 *   path: '/orders/42', route: 'OrdersController.remove', policy: '@CorsPolicy on OrdersController',
 *   reason: 'method not allowed' }
 * ```
 */
export interface CorsDecision {
  /** `true` for a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`). */
  readonly preflight: boolean;
  /** Whether a browser would let the page go on: read the response, or send the request a preflight asked about. */
  readonly allowed: boolean;
  /** The `Origin` header, exactly as sent (possibly not a valid origin: see `reason`). */
  readonly origin: string;
  /** The request's method; for a preflight, the requested method (`Access-Control-Request-Method`). */
  readonly method: string;
  /** The requested path, without the query string. */
  readonly path: string;
  /** The handler that serves it, as `Controller.handler`; `undefined` when no route serves it (module defaults). */
  readonly route: string | undefined;
  /** Where the policy applied was declared, as in error messages: e.g. `@CorsPolicy on OrdersController.update`. */
  readonly policy: string;
  /** Why it was refused; absent when allowed. */
  readonly reason?: CorsDecisionReason;
  /**
   * The pattern rule that allowed the origin, as normalised at startup: a loopback port rule
   * (`'http://localhost:*'`), a subdomain pattern (`'https://*.example.com'`) or a `RegExp`.
   * Absent when an exact origin, a function or a resolver allowed it, or when the origin was refused.
   */
  readonly matchedRule?: string;
  /**
   * With reason `'origin not trusted'`, why the pattern rule nearest to the origin did not
   * match (e.g. `'127.0.0.2 is not a loopback host the loopback port rules name (http://localhost:*)...'`);
   * absent when no pattern rule comes near.
   */
  readonly detail?: string;
  /**
   * The tenant scope of the request, when the policy uses a scoped resolver or source (what
   * its first scoped class's `scope()` returns); absent otherwise, and when it found none.
   */
  readonly scope?: string;
}

/** The module option `onDecision`: called synchronously; a returned promise is never awaited. */
export type CorsDecisionHook = (decision: CorsDecision) => unknown;
