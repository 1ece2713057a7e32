import type { Logger } from '@nestjs/common';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { explainPatternMiss } from '../origins/origin-explanation.js';

/** Why a function or resolver refused an origin without judging it: the origin may well be trusted. */
export type DynamicRefusalReason = 'resolver failed' | 'resolver busy' | 'no scope';

/** Why a request did not get CORS headers (BRIEF §3.6). */
export type RefusalReason =
  | 'origin not trusted'
  | 'origin not a serialized origin'
  | 'method not allowed'
  | 'header not allowed'
  | 'malformed Access-Control-Request-Headers'
  | DynamicRefusalReason;

const DYNAMIC_REFUSAL = Symbol('nestjs-cors-policy:dynamic-refusal');
type MarkedRequest = CorsRequest & { [DYNAMIC_REFUSAL]?: DynamicRefusalReason };

/**
 * Records on the request why a dynamic check refused without an answer (it failed, timed out,
 * or was not asked because its resolver is saturated). Only refusals pay for it; the verdict
 * itself stays a boolean, so the allowed path carries nothing more.
 */
export function markDynamicRefusal(request: CorsRequest, reason: DynamicRefusalReason): void {
  (request as MarkedRequest)[DYNAMIC_REFUSAL] = reason;
}

/** Why the request's origin was refused without being judged, if it was. */
export function dynamicRefusalOf(request: CorsRequest): DynamicRefusalReason | undefined {
  return (request as MarkedRequest)[DYNAMIC_REFUSAL];
}

/** Logs refusals when `debug` is on; every line names origin, route, policy, failed check and fix. */
export class RefusalExplainer {
  constructor(private readonly logger: Logger) {}

  explain(reason: RefusalReason, origin: string, route: string, policy: CompiledPolicy, detail = ''): void {
    // Which pattern rule nearly covered the origin, and why it did not (a loopback port, a subdomain pattern).
    const miss = reason === 'origin not trusted' && !policy.wildcard ? explainPatternMiss(policy.origins, origin) : undefined;
    if (miss !== undefined) detail = detail === '' ? miss : `${miss}; ${detail}`;
    this.logger.warn(
      `Refused ${route} for origin ${JSON.stringify(origin)}: ${reason}${detail ? ` (${detail})` : ''}. ` +
        `Policy: ${policy.describedAs}. Fix: ${FIXES[reason](policy)}`,
    );
  }
}

const FIXES: Record<RefusalReason, (policy: CompiledPolicy) => string> = {
  'origin not trusted': (policy) =>
    `add the origin to "origin" (declared at ${policy.sources.origin ?? 'the `cors` package default'}), or to the resolver's data.`,
  'origin not a serialized origin': () =>
    'nothing to configure: browsers never send such an Origin header; check the client or proxy that sent it.',
  'method not allowed': (policy) =>
    `add the method to "methods" (now "${policy.allowMethods}", declared at ${policy.sources.methods ?? 'the `cors` package default'}).`,
  'header not allowed': (policy) =>
    `add the header to "allowedHeaders" (now "${policy.allowHeaders ?? ''}", declared at ${policy.sources.allowedHeaders ?? 'the `cors` package default'}).`,
  'malformed Access-Control-Request-Headers': () =>
    'nothing to configure: a browser never sends such a list; check the client that sent it.',
  'resolver failed': () =>
    'the origin function or resolver threw or did not answer within resolverTimeoutMs (logged above); fix it or what it depends on.',
  'no scope': (policy) =>
    `the scope() of ${policy.scope?.scopedBy.join(', ') ?? 'the scoped resolver'} found no tenant in this request (it returned undefined, ` +
    'a non-string or more than 256 characters, or threw: logged above); check the Host, path or header it reads, or what sent the request.',
  'resolver busy': () =>
    'this resolver had resolverMaxInFlight lookups in flight and its queue was full (resolverMaxQueued), or the origin waited longer than resolverTimeoutMs: raise them, make lookups faster, or load the set with a CorsOriginSource.',
};
