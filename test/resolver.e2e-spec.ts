import { Controller, Get, Injectable, Logger, Module, type INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createPlatformApplication, describeOnPlatforms, whenReady } from './support/apps.js';
import { CorsModule, CorsOriginCache, CorsPolicy, type CorsModuleOptions, type CorsOriginResolver } from '../lib/index.js';

/** A resolver standing for a database: counts its calls, can be slowed down, broken or hung. */
@Injectable()
class CountingResolver implements CorsOriginResolver {
  static trusted = new Set<string>();
  static mode: 'ok' | 'throw' | 'reject' | 'hang' = 'ok';
  static delayMs = 0;
  calls = 0;
  async isOriginAllowed(origin: string): Promise<boolean> {
    this.calls++;
    if (CountingResolver.mode === 'throw') throw new Error('database is down');
    if (CountingResolver.mode === 'hang') return new Promise<boolean>(() => undefined);
    if (CountingResolver.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, CountingResolver.delayMs));
    if (CountingResolver.mode === 'reject') return Promise.reject(new Error('query failed'));
    return CountingResolver.trusted.has(origin);
  }
}

@Controller('partners')
@CorsPolicy({ origin: ['https://static.example.com', CountingResolver], credentials: true })
class PartnersController {
  @Get() list() {
    return [];
  }
}

async function createApp(options: CorsModuleOptions): Promise<{ app: INestApplication; resolver: CountingResolver }> {
  @Module({ imports: [CorsModule.forRoot(options)], controllers: [PartnersController], providers: [CountingResolver] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = createPlatformApplication(moduleRef, { logger: false });
  await whenReady(await app.init());
  return { app, resolver: app.get(CountingResolver) };
}

const get = (app: INestApplication, origin: string) => request(app.getHttpServer()).get('/partners').set('Origin', origin);

beforeEach(() => {
  CountingResolver.trusted = new Set(['https://partner.example.com']);
  CountingResolver.mode = 'ok';
  CountingResolver.delayMs = 0;
});

describeOnPlatforms('resolver rules', () => {
  let app: INestApplication;
  let resolver: CountingResolver;
  beforeEach(async () => ({ app, resolver } = await createApp({ resolverCache: { ttlMs: 60_000 }, resolverTimeoutMs: 200 })));
  afterEach(() => app.close());

  it('allows what the resolver trusts, with credentials', async () => {
    const response = await get(app, 'https://partner.example.com').expect(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://partner.example.com');
    expect(response.headers['access-control-allow-credentials']).toBe('true');
  });

  it('checks static rules first: the resolver is not asked for a static origin', async () => {
    const response = await get(app, 'https://static.example.com').expect(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://static.example.com');
    expect(resolver.calls).toBe(0);
  });

  it('never asks the resolver about a header that is not a serialized origin', async () => {
    const response = await get(app, 'https://partner.example.com/').expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(resolver.calls).toBe(0);
  });

  it('shares one call between 500 concurrent requests from one new origin', async () => {
    CountingResolver.delayMs = 50;
    const responses = await Promise.all(Array.from({ length: 500 }, () => get(app, 'https://partner.example.com')));
    expect(responses.every((response) => response.headers['access-control-allow-origin'] === 'https://partner.example.com')).toBe(true);
    expect(resolver.calls).toBe(1);
  });

  it('makes 100 calls for 10,000 requests from 100 known origins within the TTL', async () => {
    const origins = Array.from({ length: 100 }, (_, index) => `https://p${index}.example.com`);
    origins.forEach((origin) => CountingResolver.trusted.add(origin));
    const server = app.getHttpServer();
    for (let round = 0; round < 10; round++) {
      for (let batch = 0; batch < origins.length; batch += 50) {
        await Promise.all(
          Array.from({ length: 500 }, (_, index) =>
            request(server)
              .get('/partners')
              .set('Origin', origins[batch + (index % 50)])
              .expect(200),
          ),
        );
      }
    }
    expect(resolver.calls).toBe(100);
  }, 60_000);

  it('caches refusals too, until invalidated', async () => {
    await get(app, 'https://new.example.com');
    CountingResolver.trusted.add('https://new.example.com');
    expect((await get(app, 'https://new.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    app.get(CorsOriginCache).invalidate('https://new.example.com');
    expect((await get(app, 'https://new.example.com')).headers['access-control-allow-origin']).toBe('https://new.example.com');
    expect(resolver.calls).toBe(2);
  });

  it('forgets everything with invalidateAll()', async () => {
    await get(app, 'https://partner.example.com');
    CountingResolver.trusted.clear();
    app.get(CorsOriginCache).invalidateAll();
    expect((await get(app, 'https://partner.example.com')).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describeOnPlatforms('resolver failures fail closed', () => {
  let app: INestApplication;
  let resolver: CountingResolver;
  let errors: jest.SpiedFunction<Logger['error']>;
  beforeEach(async () => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    ({ app, resolver } = await createApp({ resolverTimeoutMs: 100 }));
  });
  afterEach(async () => {
    errors.mockRestore();
    await app.close();
  });

  const failureLines = () => errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('CountingResolver'));

  it.each([
    ['throws', 'throw', 'database is down'],
    ['rejects', 'reject', 'query failed'],
    ['hangs past the timeout', 'hang', 'did not answer within 100 ms'],
  ] as const)('refuses the origin when the resolver %s, logs the cause once per burst, never a 500', async (_, mode, cause) => {
    CountingResolver.mode = mode;
    const responses = await Promise.all(Array.from({ length: 20 }, (_, index) => get(app, `https://p${index}.example.com`)));
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers.vary).toBe('Origin');
    }
    expect(failureLines()).toHaveLength(1);
    expect(failureLines()[0]).toContain(cause);
    expect(failureLines()[0]).toContain('fail closed');
  });

  it('asks again after a failure, and allows once the resolver recovers', async () => {
    CountingResolver.mode = 'throw';
    expect((await get(app, 'https://partner.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    CountingResolver.mode = 'ok';
    expect((await get(app, 'https://partner.example.com')).headers['access-control-allow-origin']).toBe('https://partner.example.com');
    expect(resolver.calls).toBe(2);
  });
});

describeOnPlatforms('the cache is bounded', () => {
  it('keeps at most maxEntries answers after 200,000 distinct origins', async () => {
    // 1,000 lookups at once: above the default resolverMaxInFlight, which would refuse most of them unasked.
    const { app, resolver } = await createApp({ resolverCache: { maxEntries: 1_000 }, resolverMaxInFlight: 1_000 });
    const cache = app.get(CorsOriginCache);
    const check = (origin: string) => cache.lookup(CountingResolver, origin, () => resolver.isOriginAllowed(origin));
    for (let batch = 0; batch < 200; batch++) {
      await Promise.all(
        Array.from({ length: 1_000 }, (_, index) => check(`https://o${batch}-${index}-${Math.random().toString(36).slice(2)}.example.com`)),
      );
    }
    expect(resolver.calls).toBe(200_000);
    expect(cache.size(CountingResolver)).toBe(1_000);
    await app.close();
  }, 60_000);

  it('does not cache with ttlMs: 0', async () => {
    const { app, resolver } = await createApp({ resolverCache: { ttlMs: 0 } });
    await get(app, 'https://partner.example.com');
    await get(app, 'https://partner.example.com');
    expect(resolver.calls).toBe(2);
    await app.close();
  });
});

describeOnPlatforms('a resolver that no module provides', () => {
  it('fails startup with a message saying where to add it', async () => {
    @Module({ imports: [CorsModule.forRoot({})], controllers: [PartnersController] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = createPlatformApplication(moduleRef, { logger: false });
    await expect(app.init()).rejects.toThrow(/@CorsPolicy on PartnersController.*resolver CountingResolver is not provided.*providers/s);
    await app.close();
  });
});
