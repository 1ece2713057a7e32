import { Body, Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, Res, UseGuards } from '@nestjs/common';
import { CorsOriginCache, CorsPolicy, CorsPolicyMap, type CorsPolicyMapEntry } from '../../lib/index.js';
import { OriginsRepository } from '../origins/origins.repository.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { originOfBody, type StatusSetter } from './origin-body.js';

/**
 * The admin API. `@CorsPolicy(false)`: no CORS header on any response or preflight, so no
 * page on another origin can read it or send it the `Authorization` header (that needs a
 * preflight, which is never allowed). Call it from a server, a script or curl.
 */
@Controller('admin')
@CorsPolicy(false)
@UseGuards(AdminTokenGuard)
export class AdminController {
  constructor(
    private readonly origins: OriginsRepository,
    private readonly corsCache: CorsOriginCache,
    private readonly policyMap: CorsPolicyMap,
  ) {}

  @Get('origins')
  async list(): Promise<Array<{ origin: string }>> {
    return (await this.origins.list()).map((origin) => ({ origin }));
  }

  /** 201 when added, 200 when it was already there, 400 with the reason for an invalid origin. */
  @Post('origins')
  async add(@Body() body: unknown, @Res({ passthrough: true }) res: StatusSetter): Promise<{ origin: string; status: 'added' | 'exists' }> {
    const origin = originOfBody(body);
    const status = await this.origins.add(origin);
    // The cache may hold a refusal for this origin: forget it, so the next request sees the change.
    // (Other instances hear of it through the repository's NOTIFY; this one does not wait for it.)
    this.corsCache.invalidate(origin);
    res.status(status === 'added' ? HttpStatus.CREATED : HttpStatus.OK);
    return { origin, status };
  }

  /** `:origin` is URL-encoded (`https%3A%2F%2Fapp.example.com`); 204, or 404 when unknown. */
  @Delete('origins/:origin')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('origin') origin: string): Promise<void> {
    const removed = await this.origins.remove(origin);
    this.corsCache.invalidate(origin);
    if (!removed) throw new NotFoundException(`"${origin}" is not a trusted origin`);
  }

  /** Every route with its effective CORS policy and where each field was declared. */
  @Get('cors-policies')
  policies(): readonly CorsPolicyMapEntry[] {
    return this.policyMap.list();
  }
}
