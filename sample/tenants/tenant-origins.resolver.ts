import { Injectable } from '@nestjs/common';
import type { CorsOriginResolver, CorsRequest } from '../../lib/index.js';
import { TENANT_NAME, TenantOriginsRepository } from './tenant-origins.repository.js';

/** `/tenants/acme/orders?x` -> `acme`. */
const TENANT_IN_PATH = /^\/tenants\/([^/?#]+)/;

/**
 * Trusts, for each tenant, the origins the database lists for it. Path-scoped: the tenant is
 * the path segment after `/tenants/`, so the URL already keeps one tenant's answer apart from
 * another's in every HTTP cache, and `varyOn` is not needed. The library caches each answer per
 * (tenant, origin): acme's trusted origin is never served from the cache to globex.
 */
@Injectable()
export class TenantOrigins implements CorsOriginResolver {
  constructor(private readonly tenants: TenantOriginsRepository) {}

  /** A path without a valid tenant name has no scope: refused without a query. */
  scope(request: CorsRequest): string | undefined {
    const tenant = TENANT_IN_PATH.exec(request.url ?? '')?.[1];
    return tenant !== undefined && TENANT_NAME.test(tenant) ? tenant : undefined;
  }

  isOriginAllowed(origin: string, _request: CorsRequest, tenant?: string): Promise<boolean> {
    return this.tenants.exists(tenant as string, origin);
  }
}
