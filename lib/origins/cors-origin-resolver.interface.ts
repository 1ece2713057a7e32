import type { CorsRequest } from '../cors-request.interface.js';

/**
 * A trusted-origin source that Nest creates with dependency injection (a repository,
 * a config service, an HTTP client...). Put the class itself in an `origin` rule and list
 * it in the `providers` of one of your modules; the library takes that instance from
 * Nest's container and caches its answers (`resolverCache`).
 *
 * The resolver is only asked about origins that are valid serialized origins and that the
 * static rules of the same list did not already allow.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class PartnerOrigins implements CorsOriginResolver {
 *   constructor(private readonly partners: PartnersRepository) {}
 *   isOriginAllowed(origin: string): Promise<boolean> {
 *     return this.partners.hasOrigin(origin);
 *   }
 * }
 * ```
 *
 * **Tenant-scoped**: when the trusted origins depend on the tenant the request is for, give the
 * class a `scope(request)` method. Answers are then cached, shared and invalidated per
 * (class, scope, origin), and `isOriginAllowed` receives the scope as its third argument. Never
 * read the tenant from the request in an unscoped resolver: its answer is cached per origin
 * alone, and one tenant's answer would be served to every other tenant.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class TenantOrigins implements CorsOriginResolver {
 *   constructor(private readonly tenants: TenantsRepository) {}
 *   scope(request: CorsRequest): string | undefined {
 *     return request.headers.host?.split('.')[0]; // acme.example.com -> 'acme'
 *   }
 *   isOriginAllowed(origin: string, _request: CorsRequest, tenant?: string): Promise<boolean> {
 *     return this.tenants.trusts(tenant!, origin);
 *   }
 * }
 * ```
 */
export interface CorsOriginResolver {
  /**
   * Tells whether `origin` (the exact `Origin` header, e.g. `https://app.example.com`) may
   * read the response; for a scoped resolver, in `scope` (what `scope()` returned for this
   * request). A thrown error, a rejection or an answer slower than `resolverTimeoutMs` refuses
   * the origin (fail closed).
   */
  isOriginAllowed(origin: string, request: CorsRequest, scope?: string): boolean | Promise<boolean>;
  /**
   * Optional: makes the resolver tenant-scoped. Returns the tenant the request is for (from its
   * `Host`, a subdomain, a path segment, a header), at most 256 characters. `undefined`, a
   * non-string or a throw refuses the request's origin without asking (`reason: 'no scope'`).
   * Scopes are untrusted input: a flood of distinct ones is bounded by `resolverMaxInFlight`
   * and `resolverCache.maxEntries` like a flood of origins. Called on every request that reaches
   * the resolver, cached or not: keep it a cheap, pure read of the request.
   */
  scope?(request: CorsRequest): string | undefined;
  /**
   * Optional, with `scope()`: the request headers `scope()` reads besides `Host` and the URL
   * (e.g. `['X-Tenant-Id']`). They are added to `Vary` on every response of the policies that
   * use the class, so a shared cache never serves one tenant's answer to another. A `Host`- or
   * path-scoped class needs none: the URL already keys every cache.
   */
  readonly varyOn?: readonly string[];
}
