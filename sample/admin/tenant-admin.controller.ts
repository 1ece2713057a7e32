import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import { CorsOriginCache, CorsPolicy } from '../../lib/index.js';
import { TENANT_NAME, TenantOriginsRepository } from '../tenants/tenant-origins.repository.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { originOfBody, type StatusSetter } from './origin-body.js';

/**
 * Each tenant's trusted origins, with the same rules and answers as `/admin/origins`: bearer
 * token, refused to every cross-origin caller (`@CorsPolicy(false)`), 201/200/400, 204/404.
 * A change invalidates that tenant's cached answer here at once, and on every other instance
 * through the NOTIFY the repository sends (`{"scope": tenant, "origin": origin}`).
 */
@Controller('admin/tenants/:tenant/origins')
@CorsPolicy(false)
@UseGuards(AdminTokenGuard)
export class TenantAdminController {
  constructor(
    private readonly tenants: TenantOriginsRepository,
    private readonly corsCache: CorsOriginCache,
  ) {}

  @Get()
  async list(@Param('tenant') tenant: string): Promise<Array<{ origin: string }>> {
    return (await this.tenants.list(tenantName(tenant))).map((origin) => ({ origin }));
  }

  /** 201 when added, 200 when it was already there, 400 with the reason for an invalid origin or tenant name. */
  @Post()
  async add(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: StatusSetter,
  ): Promise<{ tenant: string; origin: string; status: 'added' | 'exists' }> {
    const name = tenantName(tenant);
    // The announcement is JSON with the tenant name (at most 63 characters) around the origin.
    const origin = originOfBody(body, ANNOUNCEMENT_OVERHEAD);
    const status = await this.tenants.add(name, origin);
    this.corsCache.invalidate(origin, { scope: name });
    res.status(status === 'added' ? HttpStatus.CREATED : HttpStatus.OK);
    return { tenant: name, origin, status };
  }

  /** `:origin` is URL-encoded; 204, or 404 when the tenant does not trust it. */
  @Delete(':origin')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('tenant') tenant: string, @Param('origin') origin: string): Promise<void> {
    const name = tenantName(tenant);
    const removed = await this.tenants.remove(name, origin);
    this.corsCache.invalidate(origin, { scope: name });
    if (!removed) throw new NotFoundException(`"${origin}" is not a trusted origin of tenant "${name}"`);
  }
}

/** `{"scope":"<63 characters>","origin":""}`, rounded up. */
const ANNOUNCEMENT_OVERHEAD = 100;

function tenantName(tenant: string): string {
  if (!TENANT_NAME.test(tenant))
    throw new BadRequestException(`"${tenant.slice(0, 80)}" is not a tenant name (a-z, 0-9 and -, at most 63)`);
  return tenant;
}
