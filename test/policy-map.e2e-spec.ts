import { Controller, Get, Injectable, Logger, Module, Patch, Post, Version, VersioningType, type INestApplication } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { jest } from '@jest/globals';
import { PLATFORMS, createTestingApp } from './support/apps.js';
import { CorsModule, CorsPolicy, CorsPolicyMap, type CorsOriginResolver } from '../lib/index.js';

@Injectable()
class PartnerOrigins implements CorsOriginResolver {
  isOriginAllowed() {
    return false;
  }
}

@Controller('orders')
@CorsPolicy({ origin: ['https://partner.example.com', PartnerOrigins], credentials: true })
class OrdersController {
  @Get() list() {
    return [];
  }
  @Patch(':id') @CorsPolicy({ methods: ['PATCH'], maxAge: 20 }) update() {
    return {};
  }
  @Get('summary') @CorsPolicy('public') summary() {
    return {};
  }
  @Post('webhook') @CorsPolicy(false) webhook() {
    return {};
  }
}

@Controller('items')
class ItemsController {
  @Get() @Version('2') list() {
    return [];
  }
}

@Controller('reports')
class ReportsController {
  @Get(':year') report() {
    return {};
  }
}
@Module({ controllers: [ReportsController] })
class BillingModule {}

@Module({
  imports: [
    CorsModule.forRoot({ origin: /^https:\/\/app\.example\.com$/, maxAge: 600, policies: { public: { origin: '*' } }, debug: true }),
    BillingModule,
    RouterModule.register([{ path: 'billing', module: BillingModule }]),
  ],
  controllers: [OrdersController, ItemsController],
  providers: [PartnerOrigins],
})
class AppModule {}

describe.each(PLATFORMS)('CorsPolicyMap (%s)', (platform) => {
  let app: INestApplication;
  let logs: jest.SpiedFunction<Logger['log']>;
  beforeAll(async () => {
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    app = await createTestingApp(
      AppModule,
      (created) => {
        created.setGlobalPrefix('api');
        created.enableVersioning({ type: VersioningType.URI });
      },
      platform,
    );
  });
  afterAll(async () => {
    logs.mockRestore();
    await app.close();
  });

  it('lists every route with its full path and where each field comes from', () => {
    const entries = app.get(CorsPolicyMap).list();
    const summary = entries.map((entry) => ({
      route: `${entry.method} ${entry.path} ${entry.handler}`,
      origin: entry.fields?.origin,
      credentials: entry.fields?.credentials,
      methods: entry.fields?.methods.source,
      maxAge: entry.fields?.maxAge,
      disabledBy: entry.disabledBy,
    }));
    const controller = '@CorsPolicy on OrdersController';
    const defaults = 'CorsModule.forRoot (module defaults)';
    const partnerOrigin = { value: ['https://partner.example.com', 'resolver PartnerOrigins'], source: controller };
    expect(summary).toEqual([
      {
        route: 'GET /api/orders OrdersController.list',
        origin: partnerOrigin,
        credentials: { value: true, source: controller },
        methods: 'cors package default',
        maxAge: { value: 600, source: defaults },
        disabledBy: undefined,
      },
      {
        route: 'PATCH /api/orders/:id OrdersController.update',
        origin: partnerOrigin,
        credentials: { value: true, source: controller },
        methods: '@CorsPolicy on OrdersController.update',
        maxAge: { value: 20, source: '@CorsPolicy on OrdersController.update' },
        disabledBy: undefined,
      },
      {
        route: 'GET /api/orders/summary OrdersController.summary',
        origin: { value: ['*'], source: 'CorsModule.forRoot policies.public' },
        credentials: { value: false, source: 'cors package default' },
        methods: 'cors package default',
        maxAge: { value: null, source: 'cors package default' },
        disabledBy: undefined,
      },
      {
        route: 'POST /api/orders/webhook OrdersController.webhook',
        origin: undefined,
        credentials: undefined,
        methods: undefined,
        maxAge: undefined,
        disabledBy: '@CorsPolicy on OrdersController.webhook',
      },
      {
        route: 'GET /api/v2/items ItemsController.list',
        origin: { value: ['/^https:\\/\\/app\\.example\\.com$/'], source: defaults },
        credentials: { value: false, source: 'cors package default' },
        methods: 'cors package default',
        maxAge: { value: 600, source: defaults },
        disabledBy: undefined,
      },
      {
        route: 'GET /api/billing/reports/:year ReportsController.report',
        origin: { value: ['/^https:\\/\\/app\\.example\\.com$/'], source: defaults },
        credentials: { value: false, source: 'cors package default' },
        methods: 'cors package default',
        maxAge: { value: 600, source: defaults },
        disabledBy: undefined,
      },
    ]);
  });

  it('is JSON-serialisable, for an admin endpoint', () => {
    const entries = app.get(CorsPolicyMap).list();
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries);
  });

  it('is printed as a table at startup with debug: true', () => {
    const table = logs.mock.calls.map((call) => String(call[0])).find((line) => line.startsWith('CORS policy map:'));
    expect(table).toBeDefined();
    expect(table).toContain('PATCH  | /api/orders/:id');
    expect(table).toMatch(
      /POST\s+\| \/api\/orders\/webhook\s+\| OrdersController\.webhook\s+\| off \(@CorsPolicy on OrdersController\.webhook\)/,
    );
    expect(table).toContain('https://partner.example.com, resolver PartnerOrigins [@CorsPolicy on OrdersController]');
  });
});
