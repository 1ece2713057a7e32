import type { VersioningOptions } from '@nestjs/common';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRequest, PlatformRequest } from '../cors-request.interface.js';
import { isToken } from '../headers/header-tokens.js';
import type { CorsRouteTable } from './cors-route-table.interface.js';
import { matchesVersionFilter } from './nest-routes.js';
import type { PathMatch, RouteEntry } from './policy-table.js';

/** What choosing a request's policy needs: the table and the app's versioning. */
export interface RouteChoiceContext {
  readonly table: CorsRouteTable;
  readonly versioning: VersioningOptions | undefined;
}

/** Which policy answers a request, the route that declared it (for logs) and, for a preflight, its `Vary` fields. */
export interface PolicyChoice {
  readonly policy: CompiledPolicy;
  readonly route: string | undefined;
  readonly varyFields: string;
}

/**
 * The route an actual request (or a WebSocket upgrade, a `GET`) reaches in `match`;
 * `undefined` when its path's fallback applies (`paths`, then the module defaults).
 */
export function findActualEntry(
  context: RouteChoiceContext,
  match: PathMatch,
  req: CorsRequest,
  platformRequest: PlatformRequest | undefined,
): RouteEntry | undefined {
  return findEntry(context, match.entries, req, req.method ?? 'GET', true, platformRequest);
}

/** The policy a preflight is answered with: that of the route serving the requested method, else its path's fallback. */
export function preflightPolicy(
  context: RouteChoiceContext,
  req: CorsRequest,
  requestedMethod: string,
  platformRequest: PlatformRequest | undefined,
): PolicyChoice {
  const match: PathMatch = context.table.match(req.url ?? '/', requestedMethod);
  const entry = isToken(requestedMethod) ? findEntry(context, match.entries, req, requestedMethod, false, platformRequest) : undefined;
  const policy = entry?.policy ?? match.fallback;
  return { policy, route: entry?.label, varyFields: match.policyDependsOnMethod ? policy.preflightVaryByMethod : policy.preflightVary };
}

/** The first route (in registration order) that Nest would run for this request. */
function findEntry(
  context: RouteChoiceContext,
  entries: readonly RouteEntry[],
  req: CorsRequest,
  method: string,
  knowsVersion: boolean,
  platformRequest: PlatformRequest | undefined,
): RouteEntry | undefined {
  let hostname: string | undefined;
  for (const entry of entries) {
    if (entry.method !== method && entry.method !== 'ALL' && !(method === 'HEAD' && entry.method === 'GET')) continue;
    if (entry.hosts !== undefined) {
      const name = (hostname ??= req.hostname ?? platformRequest?.hostname ?? req.headers.host?.replace(/:\d+$/, '') ?? '');
      if (!entry.hosts.some((host) => host.test(name))) continue;
    }
    // A preflight never carries the version header: the first handler of the method answers it.
    if (
      knowsVersion &&
      entry.filterVersion !== undefined &&
      context.versioning !== undefined &&
      !matchesVersionFilter(entry.filterVersion, context.versioning, req)
    )
      continue;
    return entry;
  }
  return undefined;
}
