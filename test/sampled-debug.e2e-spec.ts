/** `debug: { refusals: 'sampled' | 'all', windowMs }`: the production-safe refusal log, next to `debug: true`. */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Logger, Module, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { CorsConfigurationError, CorsModule, type CorsModuleOptions } from '../lib/index.js';
import { createTestingApp, PLATFORMS } from './support/apps.js';

@Controller('things')
class ThingsController {
  @Get() list() {
    return [];
  }
}

function appModule(options: CorsModuleOptions) {
  @Module({ imports: [CorsModule.forRoot({ origin: ['https://app.example.com'], ...options })], controllers: [ThingsController] })
  class SampledModule {}
  return SampledModule;
}

describe.each(PLATFORMS)('debug refusal modes (%s)', (platform) => {
  let warnings: jest.SpiedFunction<Logger['warn']>;
  let app: INestApplication | undefined;
  beforeEach(() => {
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    warnings.mockRestore();
    await app?.close();
    app = undefined;
  });
  const refusals = () => warnings.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('Refused'));

  async function refuseThrice(debug: CorsModuleOptions['debug']) {
    app = await createTestingApp(appModule({ debug }), undefined, platform);
    for (const origin of [
      'https://evil.example.net',
      'https://evil.example.net',
      'https://evil.example.net',
      'https://other.example.net',
    ]) {
      await request(app.getHttpServer()).get('/things').set('Origin', origin).expect(200);
    }
  }

  it("{ refusals: 'sampled' } logs each origin, route and reason once per window", async () => {
    await refuseThrice({ refusals: 'sampled', windowMs: 60_000 });
    expect(refusals()).toEqual([
      expect.stringContaining('"https://evil.example.net"'),
      expect.stringContaining('"https://other.example.net"'),
    ]);
    expect(refusals()[0]).toContain('ThingsController.list');
    expect(refusals()[0]).toContain('origin not trusted');
  });

  it("{ refusals: 'all' } logs every refusal, as debug: true does", async () => {
    await refuseThrice({ refusals: 'all' });
    expect(refusals()).toHaveLength(4);
  });

  it.each([
    ['an unknown mode', { refusals: 'some' }],
    ['a window of 0', { refusals: 'sampled', windowMs: 0 }],
    ['a window with every refusal logged', { refusals: 'all', windowMs: 1000 }],
    ['an unknown key', { refusals: 'sampled', maxKeys: 5 }],
    ['a string', 'sampled'],
  ])('refuses %s at startup, naming debug', async (_case, debug) => {
    const caught = await createTestingApp(appModule({ debug: debug as never }), undefined, platform).then(
      (created) => created.close(),
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(CorsConfigurationError);
    expect(String(caught)).toContain('debug');
    expect(String(caught)).toContain("refusals: 'sampled'");
  });
});
