// The app every consumer builds: copied into each consumer's src/ by ../run.mjs.
// It imports the package by its name, so each consumer loads the entry point its module
// system selects in the `exports` map (ESM: dist/index.js, CommonJS: dist/cjs/index.js).
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Param, Patch } from '@nestjs/common';
import { CorsModule, CorsPolicy, type CorsOriginResolver } from 'nestjs-cors-policy';

/** Trusted origins "from a database": a provider the library takes from Nest's container. */
@Injectable()
export class DbOrigins implements CorsOriginResolver {
  readonly asked: string[] = [];
  async isOriginAllowed(origin: string): Promise<boolean> {
    this.asked.push(origin);
    return origin === 'https://db.example.com';
  }
}

@Controller('orders')
// The loopback port rule and the subdomain pattern (checked against the Public Suffix List at
// startup) prove that the library's `tldts` dependency loads in this build.
@CorsPolicy({ origin: ['https://a.example.com', 'http://localhost:*', 'https://*.partner.example.org'], credentials: true })
export class OrdersController {
  @Get()
  list() {
    return [{ id: '42' }];
  }

  @Patch(':id')
  @CorsPolicy({ methods: ['PATCH'] })
  update(@Param('id') id: string) {
    return { id, updated: true };
  }
}

@Controller('partners')
export class PartnersController {
  @Get()
  @CorsPolicy({ origin: DbOrigins })
  list() {
    return [{ partner: 'db' }];
  }
}

/** No @CorsPolicy: the module default (origin: false) applies. */
@Controller('health')
export class HealthController {
  @Get()
  health() {
    return { ok: true };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: false })],
  controllers: [OrdersController, PartnersController, HealthController],
  providers: [DbOrigins],
})
export class AppModule {}
