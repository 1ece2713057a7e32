import { Injectable } from '@nestjs/common';
import type { CorsOriginResolver } from '../../lib/index.js';
import { OriginsRepository } from './origins.repository.js';

/**
 * Trusts the origins stored in the database, asked per origin. The library caches each answer
 * (`resolverCache.ttlMs`), so the database is not queried on every request; the admin
 * API invalidates the cache when it changes an origin.
 *
 * The sample's partner route uses `TrustedOriginsSource` (the table loaded whole): this
 * resolver is the alternative for a table too large to load, such as custom domains per tenant.
 */
@Injectable()
export class TrustedOrigins implements CorsOriginResolver {
  constructor(private readonly origins: OriginsRepository) {}

  isOriginAllowed(origin: string): Promise<boolean> {
    return this.origins.exists(origin);
  }
}
