import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { matchOrigin } from '../origins/origin-matcher.js';
import { parseSerializedOrigin } from '../origins/serialized-origin.js';
import { dynamicRefusalOf, type RefusalReason } from './cors-refusal.js';

/**
 * The one verdict on an origin, for every surface (HTTP middleware, gateway gate, upgrade gate):
 * `true` allowed, `false` refused. Synchronous while the rules are static (and resolvers cached),
 * a promise only when a function or resolver must be asked. Knows nothing of a platform, a socket
 * or a header: the request is passed on only to the origin functions and resolvers (their scope).
 */
export type OriginVerdict = boolean | Promise<boolean>;

/**
 * The verdict of `policy` on `origin`: CORS off refuses, `'*'` allows, otherwise the policy's
 * origin rules decide, with the same matcher, resolvers and cache everywhere.
 */
export function judgeOrigin(policy: CompiledPolicy, origin: string, request: CorsRequest): OriginVerdict {
  if (!policy.enabled) return false;
  if (policy.wildcard) return true;
  return matchOrigin(policy.origins, origin, request);
}

/**
 * Why a refused origin was refused: not a serialized origin, a dynamic check that could not
 * judge it, or simply not trusted. Asked only by those who report it (`debug`, `onDecision`), so
 * that a refusal costs no parsing when nobody reads the reason.
 */
export function refusalReason(origin: string, request: CorsRequest): RefusalReason {
  if (origin !== 'null' && parseSerializedOrigin(origin) === undefined) return 'origin not a serialized origin';
  return dynamicRefusalOf(request) ?? 'origin not trusted';
}
