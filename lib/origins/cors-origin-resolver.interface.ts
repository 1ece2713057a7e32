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
 */
export interface CorsOriginResolver {
  /**
   * Tells whether `origin` (the exact `Origin` header, e.g. `https://app.example.com`) may
   * read the response. A thrown error, a rejection or an answer slower than
   * `resolverTimeoutMs` refuses the origin (fail closed).
   */
  isOriginAllowed(origin: string, request: CorsRequest): boolean | Promise<boolean>;
}
