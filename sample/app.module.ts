import { Module, type DynamicModule } from '@nestjs/common';
import { CorsModule } from '../lib/index.js';
import { AdminController } from './admin/admin.controller.js';
import { AdminTokenGuard } from './admin/admin-token.guard.js';
import { CatalogueController } from './catalogue/catalogue.controller.js';
import { OriginsModule } from './origins/origins.module.js';
import { PartnerOrdersController } from './partners/partner-orders.controller.js';
import { PartnerOrdersGateway } from './partners/partner-orders.gateway.js';
import { TenantAdminController } from './admin/tenant-admin.controller.js';
import { TenantOrdersController } from './tenants/tenant-orders.controller.js';
import { PaymentsWebhookController } from './webhooks/payments-webhook.controller.js';
import { SAMPLE_CONFIG, type SampleConfig } from './sample-config.js';

@Module({})
export class AppModule {
  static register(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // CORS off unless a controller says otherwise: a new route is never exposed by accident.
        CorsModule.forRoot({ origin: false, resolverCache: { ttlMs: config.cacheTtlMs } }),
        OriginsModule.register({
          databaseUrl: config.databaseUrl,
          pgliteDir: config.pgliteDir,
          table: config.originsTable,
          tenantTable: config.tenantOriginsTable,
          channel: config.originsChannel,
          instanceId: config.instanceId,
          listener: config.listener,
          poolSize: config.poolSize,
        }),
      ],
      controllers: [
        CatalogueController,
        PartnerOrdersController,
        TenantOrdersController,
        AdminController,
        TenantAdminController,
        PaymentsWebhookController,
      ],
      providers: [{ provide: SAMPLE_CONFIG, useValue: config }, AdminTokenGuard, PartnerOrdersGateway],
    };
  }
}
