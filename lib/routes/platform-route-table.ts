import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRouteTable } from './cors-route-table.interface.js';
import { isFastifyInstance, readRouterOptions } from '../fastify/fastify-instance.js';
import { FastifyRouteTable } from '../fastify/fastify-route-table.js';
import type { PathPolicyEntry } from './path-policies.js';
import { PolicyTable, type RouteEntry } from './policy-table.js';

/** What this file needs of Nest's HTTP adapter (`HttpAdapterHost.httpAdapter`). */
export interface HttpAdapterLike {
  getType(): string;
  getInstance(): unknown;
}

/**
 * The route table that answers as the app's own router does: find-my-way's rules on Fastify,
 * Express's everywhere else (Express, and apps without an HTTP adapter).
 */
export function createRouteTable(
  adapter: HttpAdapterLike | undefined,
  entries: readonly RouteEntry[],
  defaults: CompiledPolicy,
  paths: readonly PathPolicyEntry[],
): CorsRouteTable {
  const instance = adapter?.getType() === 'fastify' ? adapter.getInstance() : undefined;
  if (!isFastifyInstance(instance)) return new PolicyTable(entries, defaults, paths);
  return new FastifyRouteTable(entries, defaults, paths, {
    router: readRouterOptions(instance),
    allMethods: instance.supportedMethods,
    exposeHeadRoutes: instance.initialConfig.exposeHeadRoutes !== false,
  });
}
