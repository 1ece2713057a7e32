import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CorsModule, InjectCorsPolicyOptions, type CorsModuleOptions } from '../lib/index.js';
import { createPlatformApplication, describeOnPlatforms, whenReady } from './support/apps.js';

@Controller('things')
class ThingsController {
  @Get() list() {
    return [];
  }
}

@Injectable()
class CorsConfig {
  readonly origins = ['https://configured.example.com'];
}

@Module({ providers: [CorsConfig], exports: [CorsConfig] })
class ConfigModule {}

@Injectable()
class CorsOptionsFactory {
  createCorsOptions(): CorsModuleOptions {
    return { origin: 'https://class.example.com', maxAge: 42 };
  }
}

@Injectable()
class OptionsReader {
  constructor(@InjectCorsPolicyOptions() readonly options: CorsModuleOptions) {}
}

async function boot(corsModule: ReturnType<typeof CorsModule.forRoot>): Promise<INestApplication> {
  @Module({ imports: [corsModule], controllers: [ThingsController], providers: [OptionsReader] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return whenReady(await createPlatformApplication(moduleRef, { logger: false }).init());
}

const allowOrigin = async (app: INestApplication, origin: string) =>
  (await request(app.getHttpServer()).get('/things').set('Origin', origin)).headers['access-control-allow-origin'];

describeOnPlatforms('CorsModule', () => {
  it('forRootAsync with useFactory and inject takes options from a provider', async () => {
    const app = await boot(
      CorsModule.forRootAsync({
        imports: [ConfigModule],
        inject: [CorsConfig],
        useFactory: (config: CorsConfig) => ({ origin: config.origins }),
      }),
    );
    expect(await allowOrigin(app, 'https://configured.example.com')).toBe('https://configured.example.com');
    expect(await allowOrigin(app, 'https://other.example.com')).toBeUndefined();
    await app.close();
  });

  it('forRootAsync with useClass calls createCorsOptions()', async () => {
    const app = await boot(CorsModule.forRootAsync({ useClass: CorsOptionsFactory }));
    expect(await allowOrigin(app, 'https://class.example.com')).toBe('https://class.example.com');
    const preflight = await request(app.getHttpServer())
      .options('/things')
      .set({ Origin: 'https://class.example.com', 'Access-Control-Request-Method': 'GET' });
    expect(preflight.headers['access-control-max-age']).toBe('42');
    await app.close();
  });

  it('exposes its options through InjectCorsPolicyOptions()', async () => {
    const app = await boot(CorsModule.forRoot({ origin: 'https://a.example.com' }));
    expect(app.get(OptionsReader).options).toEqual({ origin: 'https://a.example.com' });
    await app.close();
  });

  it('validates async options at startup too', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CorsModule.forRootAsync({ useFactory: () => ({ origin: 'https://a.example.com/', maxAge: -1 }) })],
      controllers: [ThingsController],
    }).compile();
    const app = createPlatformApplication(moduleRef, { logger: false });
    const error = await app.init().then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.message).toMatch(
      /CorsModule\.forRoot \(module defaults\): option "origin": "https:\/\/a\.example\.com\/" has a trailing slash/,
    );
    expect(error?.message).toMatch(/CorsModule\.forRoot \(module defaults\): option "maxAge": must not be less than 0/);
    await app.close();
  });
});
