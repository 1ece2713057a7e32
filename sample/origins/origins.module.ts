import { Module, type DynamicModule } from '@nestjs/common';
import { OriginChangesListener } from './origin-changes.listener.js';
import { OriginsRepository, type OriginsDatabaseOptions } from './origins.repository.js';
import { TrustedOrigins } from './trusted-origins.resolver.js';
import { TrustedOriginsSource } from './trusted-origins.source.js';
import { TenantOriginsRepository } from '../tenants/tenant-origins.repository.js';
import { TenantOrigins } from '../tenants/tenant-origins.resolver.js';

/** The trusted-origins store, its CORS source (and per-origin resolver), and the listener that keeps every instance's cache in step. */
@Module({})
export class OriginsModule {
  static register(database: OriginsDatabaseOptions & { readonly tenantTable: string }): DynamicModule {
    return {
      module: OriginsModule,
      providers: [
        // An async factory: the database is open and seeded before the app takes requests.
        { provide: OriginsRepository, useFactory: () => OriginsRepository.open(database) },
        // Each tenant's origins, on the same database and change channel.
        {
          provide: TenantOriginsRepository,
          useFactory: (origins: OriginsRepository) => TenantOriginsRepository.open(origins, database.tenantTable),
          inject: [OriginsRepository],
        },
        TenantOrigins,
        // Listed here, next to their dependency; CorsModule takes these instances from the container.
        TrustedOriginsSource,
        TrustedOrigins,
        // Needs CorsOriginCache, which CorsModule (global) exports.
        OriginChangesListener,
      ],
      exports: [OriginsRepository, TenantOriginsRepository, TrustedOriginsSource, TrustedOrigins, TenantOrigins],
    };
  }
}
