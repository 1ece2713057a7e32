import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { CorsPolicy } from '../../lib/index.js';
import { TENANT_NAME } from './tenant-origins.repository.js';
import { TenantOrigins } from './tenant-origins.resolver.js';

/** A tenant's orders, read by that tenant's own front ends with their cookie: each tenant trusts its own origins. */
@Controller('tenants/:tenant')
@CorsPolicy({ origin: [TenantOrigins], credentials: true })
export class TenantOrdersController {
  @Get('orders')
  orders(@Param('tenant') tenant: string): { tenant: string; orders: Array<{ id: string; total: number }> } {
    if (!TENANT_NAME.test(tenant)) throw new NotFoundException(`no tenant "${tenant}"`);
    return { tenant, orders: [{ id: `${tenant}-1001`, total: 42 }] };
  }
}
