import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { RefusalReason } from '../decisions/cors-refusal.js';
import { parseRequestedHeaders } from './header-tokens.js';

/** Methods a browser sends cross-origin without asking for them (Fetch: CORS-safelisted methods). */
const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST']);

/** Why a browser would refuse what a preflight of an allowed origin asks for, with the detail for logs. */
export interface PreflightRefusal {
  readonly reason: Extract<RefusalReason, 'method not allowed' | 'header not allowed' | 'malformed Access-Control-Request-Headers'>;
  readonly detail: string;
}

const NONE: readonly PreflightRefusal[] = [];

/**
 * What the browser's CORS-preflight check (Fetch) refuses in an answer with this policy: the
 * requested method, then the requested headers. Empty when it lets the request go. Used by
 * `debug` explanations and by `onDecision`, only when one of them is on.
 */
export function preflightRefusals(
  policy: CompiledPolicy,
  method: string,
  requestedHeaders: string | undefined,
): readonly PreflightRefusal[] {
  const refusals: PreflightRefusal[] = [];
  // With credentials, '*' is a literal method name for browsers, not a wildcard.
  const anyMethod = policy.allowedMethods.has('*') && !policy.credentials;
  if (!SAFELISTED_METHODS.has(method) && !policy.allowedMethods.has(method) && !anyMethod) {
    refusals.push({ reason: 'method not allowed', detail: `requested ${method}` });
  }
  const headers = requestedHeaders === undefined ? undefined : headerRefusal(policy, requestedHeaders);
  if (headers !== undefined) refusals.push(headers);
  return refusals.length === 0 ? NONE : refusals;
}

function headerRefusal(policy: CompiledPolicy, requested: string): PreflightRefusal | undefined {
  const names = parseRequestedHeaders(requested);
  if (names === undefined) return { reason: 'malformed Access-Control-Request-Headers', detail: '' };
  const allowed = policy.allowedHeaderNames;
  if (allowed === undefined) return undefined;
  // '*' covers every name but Authorization, and nothing with credentials.
  const wildcard = allowed.has('*') && !policy.credentials;
  const missing = names.filter((name) => !allowed.has(name) && !(wildcard && name !== 'authorization'));
  return missing.length === 0 ? undefined : { reason: 'header not allowed', detail: `requested ${missing.join(', ')}` };
}
