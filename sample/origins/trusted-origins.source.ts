import { Injectable } from '@nestjs/common';
import type { CorsOriginSource } from '../../lib/index.js';
import { OriginsRepository } from './origins.repository.js';

/**
 * Trusts the origins stored in the database, loaded whole: a partner table holds hundreds or
 * thousands of rows, which fit in memory, so a request costs a `Set` lookup and an unknown
 * origin (or a flood of made-up ones) costs no query. The library reloads it every
 * `CORS_CACHE_TTL_MS` and when the cache is invalidated (the admin API, the LISTEN feed).
 *
 * For a set too large to load (custom domains of every tenant), use the per-origin resolver
 * `TrustedOrigins` instead.
 */
@Injectable()
export class TrustedOriginsSource implements CorsOriginSource {
  constructor(private readonly origins: OriginsRepository) {}

  loadOrigins(): Promise<string[]> {
    return this.origins.list();
  }
}
