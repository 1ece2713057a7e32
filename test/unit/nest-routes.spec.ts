import { Controller, Get, Module, RequestMethod, VersioningType } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { readRoutingConfig } from '../../lib/routes/nest-routes.js';

@Controller('x')
class XController {
  @Get() get() {
    return 1;
  }
}
@Module({ controllers: [XController] })
class AppModule {}

// Nest does not expose its global prefix, exclusions or versioning publicly: this pins the one
// function that reads them, so a Nest upgrade that moves them breaks here first.
describe('readRoutingConfig', () => {
  it('reads the global prefix, its exclusions and the versioning options of the app', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
    app.enableVersioning({ type: VersioningType.HEADER, header: 'X-Api-Version' });
    await app.init();
    const routing = readRoutingConfig(app.get(ModuleRef));
    expect(routing.globalPrefix).toBe('api');
    expect(routing.exclude).toHaveLength(1);
    expect(routing.exclude[0].requestMethod).toBe(RequestMethod.GET);
    expect(routing.exclude[0].pathRegex.test('/health')).toBe(true);
    expect(routing.exclude[0].pathRegex.test('/other')).toBe(false);
    expect(routing.versioning).toEqual({ type: VersioningType.HEADER, header: 'X-Api-Version' });
    expect(typeof routing.applicationId).toBe('string');
    await app.close();
  });

  it('reads an app without prefix or versioning', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    expect(readRoutingConfig(app.get(ModuleRef))).toMatchObject({ globalPrefix: '', exclude: [], versioning: undefined });
    await app.close();
  });
});
