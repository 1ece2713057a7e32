// The library's own grammar, imported by relative path: the sample lives in the library's repository.
import { parseOriginRuleString, parseSerializedOrigin } from '../../lib/serialized-origin.js';

/**
 * Why `value` cannot be stored as a trusted origin, or `undefined` when it can. Stored
 * origins are compared with the exact bytes of the `Origin` header, so only the form
 * browsers send is accepted: lower-case `scheme://host[:port]`, no default port, no path,
 * no trailing slash, no userinfo, no wildcard.
 */
export function explainInvalidOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return '"origin" must be a non-empty string, e.g. "https://app.example.com"';
  if (parseSerializedOrigin(value) !== undefined) return undefined;
  if (value === 'null') return '"null" is the opaque origin of sandboxed pages and files; trusting it trusts them all';
  if (value.includes('*')) return `"${value}" has a wildcard; store exact origins (patterns belong in @CorsPolicy)`;
  const rule = parseOriginRuleString(value);
  if ('problem' in rule) return `${rule.problem}: ${rule.fix}`;
  // The rule parser lower-cases and accepts what the browser would never send as is.
  if (rule.kind === 'exact' && rule.origin !== value) return `"${value}" is not written as browsers send it: write "${rule.origin}"`;
  return `"${value}" is not a serialized origin (scheme://host[:port])`;
}
