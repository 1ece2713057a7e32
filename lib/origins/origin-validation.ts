import { parseOriginRuleString, parseSerializedOrigin } from './serialized-origin.js';

/**
 * Why `value` cannot be stored as a trusted origin, or `undefined` when it can: the check an
 * admin API runs before saving an origin that a resolver will compare with the exact bytes of
 * the `Origin` header. Only the form browsers send is accepted: lower-case
 * `scheme://host[:port]`, no default port, no path, no trailing slash, no userinfo, no wildcard,
 * not `null`.
 *
 * @example
 * ```ts
 * const problem = explainInvalidOrigin(body.origin);
 * if (problem) throw new BadRequestException(problem);
 * ```
 */
export function explainInvalidOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return '"origin" must be a non-empty string, e.g. "https://app.example.com"';
  if (parseSerializedOrigin(value) !== undefined) return undefined;
  if (value === 'null') return '"null" is the opaque origin of sandboxed pages and files; trusting it trusts them all';
  if (value.includes('*')) return `"${value}" has a wildcard; store exact origins (patterns belong in @CorsPolicy)`;
  const rule = parseOriginRuleString(value);
  if ('problem' in rule) return `${rule.problem}: ${rule.fix}`;
  if (rule.kind === 'exact' && rule.origin !== value) return `"${value}" is not written as browsers send it: write "${rule.origin}"`;
  return `"${value}" is not a serialized origin (scheme://host[:port])`;
}
