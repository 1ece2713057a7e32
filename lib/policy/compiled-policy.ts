import type { CorsPolicyOptions } from './cors-policy-options.interface.js';
import type { OriginRuleSet } from '../origins/origin-matcher.js';
import type { PolicyField } from './policy-merge.js';
import type { ScopeReader } from '../origins/origin-scope.js';

/**
 * A policy ready for requests: every header value computed once at startup, origins in a
 * `Set`, patterns parsed. One object per distinct policy, shared by the routes that use it.
 */
export interface CompiledPolicy {
  /** `false` when CORS is off (`@CorsPolicy(false)`, `origin: false`): nothing is sent. */
  readonly enabled: boolean;
  /** Origin `'*'`: `Access-Control-Allow-Origin: *` for everyone, no `Vary: Origin`. */
  readonly wildcard: boolean;
  readonly origins: OriginRuleSet;
  readonly credentials: boolean;
  /** `Access-Control-Expose-Headers`, when set. */
  readonly exposeHeaders: string | undefined;
  /** `Access-Control-Allow-Methods` (empty: not sent). */
  readonly allowMethods: string;
  readonly allowedMethods: ReadonlySet<string>;
  /** `Access-Control-Allow-Headers`; `undefined` reflects the requested headers. */
  readonly allowHeaders: string | undefined;
  /** `Vary` of an actual answer (allowed or refused): `Origin`, and the `varyOn` headers of the policy's scoped classes. */
  readonly actualVary: string;
  /**
   * The tenant scope of the policy's scoped resolvers and sources (`undefined`: none): the class
   * names for the policy map, and the first one's `scope()` for decisions and `debug` lines.
   */
  readonly scope: { readonly scopedBy: readonly string[]; readonly read: ScopeReader } | undefined;
  /** `Vary` of a preflight answer: `Origin` unless `'*'`, and the requested headers when they are reflected. */
  readonly preflightVary: string;
  /** The same, with `Access-Control-Request-Method`, for paths whose routes use several policies. */
  readonly preflightVaryByMethod: string;
  /** Lower-case allowed header names, for explanations; `undefined` when reflecting. */
  readonly allowedHeaderNames: ReadonlySet<string> | undefined;
  /** `Access-Control-Max-Age`, when set. */
  readonly maxAge: string | undefined;
  readonly preflightContinue: boolean;
  readonly optionsSuccessStatus: number;
  /** Where the policy comes from, for logs and the policy map: e.g. `@CorsPolicy on OrdersController.update`. */
  readonly describedAs: string;
  /** The merged options, as declared (for the policy map). */
  readonly options: CorsPolicyOptions;
  /** Where each field was declared (`cors` package default when absent). */
  readonly sources: Readonly<Partial<Record<PolicyField, string>>>;
}
