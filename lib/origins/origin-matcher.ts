import type { CorsRequest } from '../cors-request.interface.js';
import { matchesLoopbackPort } from './loopback-ports.js';
import { isSubdomainOf, parseSerializedOrigin, type OriginRuleString } from './serialized-origin.js';

/** A dynamic origin check (function or resolver), already wrapped with its timeout, cache and logging. */
export type DynamicOriginCheck = (origin: string, request: CorsRequest) => boolean | Promise<boolean>;

/**
 * The in-memory set of a `CorsOriginSource`: `origins` is read on every request (a hit needs
 * no parsing: only serialized origins are loaded); `missed` answers a valid origin it lacks.
 */
export interface LoadedOrigins {
  readonly origins: ReadonlySet<string>;
  /** Refuses, or waits for a reload that an invalidation asked for (then tells whether it brought the origin). */
  readonly missed: DynamicOriginCheck;
}

type SubdomainPattern = Extract<OriginRuleString, { kind: 'subdomains' }>;

/** The origin rules of one policy, compiled at startup. */
export interface OriginRuleSet {
  /** `true` in the list: any valid serialized origin (never `null`). */
  readonly reflectAny: boolean;
  /** Exact origins, normalised; `'null'` only when listed explicitly. */
  readonly exact: ReadonlySet<string>;
  readonly subdomains: readonly SubdomainPattern[];
  readonly regexps: readonly RegExp[];
  /** Checks asked in order after the static rules: functions, resolvers, and the `missed` of each source. */
  readonly dynamic: readonly DynamicOriginCheck[];
  /** The sets of `CorsOriginSource` rules, checked right after `exact`. */
  readonly sources: readonly LoadedOrigins[];
  /**
   * The `scheme://host` of the loopback port rules (`'http://localhost:*'`), when the policy has
   * any; checked without parsing, so a policy that has them keeps the exact-origins fast path.
   * Compiled policies always carry the field (`undefined` when none), so they share one shape.
   */
  readonly loopbackPorts?: ReadonlySet<string> | undefined;
  /**
   * Only exact origins, loopback port rules and sources: a refusal needs no parsing (an origin that is not serialized
   * is in no set, and a source's `missed` does not judge it).
   */
  readonly exactOnly: boolean;
}

/**
 * Decides whether a request `Origin` is allowed. Static rules first (one `Set` lookup, the
 * loopback ports in constant time, then patterns), dynamic checks last and in order. The header is compared as sent: anything that is
 * not a serialized origin (several values, whitespace, userinfo, upper case...) is refused.
 */
export function matchOrigin(rules: OriginRuleSet, origin: string, request: CorsRequest): boolean | Promise<boolean> {
  if (rules.exact.has(origin)) return true;
  const sources = rules.sources;
  for (let index = 0; index < sources.length; index++) if (sources[index].origins.has(origin)) return true;
  const loopbackPorts = rules.loopbackPorts;
  if (loopbackPorts !== undefined && matchesLoopbackPort(loopbackPorts, origin)) return true;
  // A list of exact origins and sources (the common case) has answered: refusals need no parsing.
  if (rules.exactOnly) return rules.dynamic.length === 0 ? false : matchDynamic(rules.dynamic, origin, request);
  const parsed = parseSerializedOrigin(origin);
  if (parsed === undefined) return false;
  if (rules.reflectAny) return true;
  for (const pattern of rules.subdomains) if (isSubdomainOf(parsed, pattern)) return true;
  for (const regexp of rules.regexps) {
    regexp.lastIndex = 0; // a /g or /y rule must not remember the previous request
    if (regexp.test(origin)) return true;
  }
  return rules.dynamic.length === 0 ? false : matchDynamic(rules.dynamic, origin, request);
}

/** Asks the dynamic checks in order; stays synchronous as long as they answer synchronously (cached resolvers). */
function matchDynamic(checks: readonly DynamicOriginCheck[], origin: string, request: CorsRequest, start = 0): boolean | Promise<boolean> {
  for (let index = start; index < checks.length; index++) {
    const answer = checks[index](origin, request);
    if (answer === true) return true;
    if (answer !== false) {
      return answer.then((allowed) => (allowed === true ? true : matchDynamic(checks, origin, request, index + 1)));
    }
  }
  return false;
}
