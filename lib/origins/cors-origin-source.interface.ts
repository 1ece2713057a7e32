import type { CorsRequest } from '../cors-request.interface.js';

/**
 * A trusted-origin set that is small enough to keep in memory (a table of hundreds or
 * thousands of partner origins): the library loads it whole and answers every request with a
 * `Set` lookup, so an unknown origin, or a flood of them, never costs a query.
 *
 * Put the class itself in an `origin` rule and list it in the `providers` of one of your
 * modules, as a `CorsOriginResolver`. The set is loaded when the app initialises (a
 * failed load refuses its origins, is logged and retried with backoff; the app still starts),
 * reloaded every `resolverCache.ttlMs` and after `CorsOriginCache.invalidate()` or
 * `invalidateAll()`, one load at a time. While a load asked for by an invalidation runs,
 * an origin missing from the set waits for it, so an origin just added is allowed on its next
 * request. A failed reload keeps the last loaded set.
 *
 * Each loaded value must be a serialized origin, exactly as browsers send it
 * (`https://app.example.com`, no path, no trailing slash, lower case): anything else is
 * skipped and logged, never matched loosely.
 *
 * Pick a `CorsOriginResolver` instead when the set is too large to load (custom domains
 * of every tenant): it is asked per origin, with a cache and `resolverMaxInFlight`.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class PartnerOrigins implements CorsOriginSource {
 *   constructor(private readonly partners: PartnersRepository) {}
 *   loadOrigins(): Promise<string[]> {
 *     return this.partners.listOrigins();
 *   }
 * }
 * ```
 *
 * **Tenant-scoped**: with a `scope(request)` method (as on `CorsOriginResolver`), the set is
 * per tenant: `loadOrigins(scope)` loads one tenant's origins the first time a request for that
 * tenant needs them (not at init), one load per tenant at a time; the set is reloaded when a
 * request finds it older than `resolverCache.ttlMs` and after invalidation
 * (`invalidate(origin, { scope })`, `invalidateScope(scope)`). An unknown origin for a loaded
 * tenant costs no load. At most `resolverCache.maxEntries` tenants that trust some origin are
 * kept, and as many that trust none, so a flood of made-up tenants never evicts a real one;
 * at most `resolverMaxInFlight` first loads run at once (a request beyond that is refused
 * as `'resolver busy'`).
 */
export interface CorsOriginSource {
  /**
   * Every trusted origin; for a scoped source, those of `scope`. A thrown error, a rejection or
   * an answer slower than `resolverTimeoutMs` counts as a failed load.
   */
  loadOrigins(scope?: string): Iterable<string> | Promise<Iterable<string>>;
  /** Optional: makes the source tenant-scoped (see `CorsOriginResolver.scope`). */
  scope?(request: CorsRequest): string | undefined;
  /** Optional, with `scope()`: see `CorsOriginResolver.varyOn`. */
  readonly varyOn?: readonly string[];
}
