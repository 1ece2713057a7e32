import { Module, type DynamicModule } from '@nestjs/common';
import { OriginsRepository, type OriginsDatabaseOptions } from './origins.repository.js';
import { TrustedOrigins } from './trusted-origins.resolver.js';

/** The trusted-origins store and its CORS resolver. */
@Module({})
export class OriginsModule {
  static register(database: OriginsDatabaseOptions): DynamicModule {
    return {
      module: OriginsModule,
      providers: [
        // An async factory: the database is open and seeded before the app takes requests.
        { provide: OriginsRepository, useFactory: () => OriginsRepository.open(database) },
        // Listed here, next to its dependency; CorsModule takes this instance from the container.
        TrustedOrigins,
      ],
      exports: [OriginsRepository, TrustedOrigins],
    };
  }
}
