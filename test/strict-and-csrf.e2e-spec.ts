import { Controller, Injectable, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { PLATFORMS, createTestingApp } from './support/apps.js';
import { CorsModule, CorsPolicy, corsCsrfExclusion, type CorsModuleOptions, type CorsOriginResolver } from '../lib/index.js';

const PARTNER = 'https://partner.example.com';
const DATABASE_PARTNER = 'https://db-partner.example.com';
const EVIL = 'https://evil.example.net';
const APP = 'https://api.example.com';

@Injectable()
class DatabaseOrigins implements CorsOriginResolver {
  async isOriginAllowed(origin: string) {
    return origin === DATABASE_PARTNER;
  }
}

let handled: string[] = [];

@Controller()
class RoutesController {
  @Post('partners')
  @CorsPolicy({ origin: [PARTNER, DatabaseOrigins], credentials: true })
  partners() {
    handled.push('partners');
    return { ok: true };
  }

  @Post('public')
  @CorsPolicy({ origin: '*' })
  open() {
    handled.push('public');
    return { ok: true };
  }

  @Post('webhook')
  @CorsPolicy(false)
  webhook() {
    handled.push('webhook');
    return { ok: true };
  }
}

function appModule(options: CorsModuleOptions) {
  @Module({ imports: [CorsModule.forRoot(options)], controllers: [RoutesController], providers: [DatabaseOrigins] })
  class AppModule {}
  return AppModule;
}

beforeEach(() => (handled = []));

describe.each(PLATFORMS)('strict mode (%s)', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createTestingApp(appModule({ origin: false, strict: { appOrigins: [APP] } }), undefined, platform);
  });
  afterAll(() => app.close());
  const post = (path: string, origin?: string) => {
    const call = request(app.getHttpServer()).post(path);
    return origin === undefined ? call : call.set('Origin', origin);
  };

  it.each([PARTNER, DATABASE_PARTNER])('lets an allowed origin (%s) through, with its CORS headers', async (origin) => {
    const response = await post('/partners', origin).expect(201);
    expect(response.headers['access-control-allow-origin']).toBe(origin);
    expect(handled).toEqual(['partners']);
  });

  it('refuses a refused origin with 403 before the handler runs', async () => {
    const response = await post('/partners', EVIL).expect(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers.vary).toBe('Origin');
    expect(response.body.message).toContain('not allowed by the CORS policy');
    expect(handled).toEqual([]);
  });

  it('refuses an Origin that is not a serialized origin', async () => {
    await post('/partners', `${PARTNER}/`).expect(403);
    expect(handled).toEqual([]);
  });

  it("lets the app's own origin through (same-origin requests carry Origin too), without CORS headers", async () => {
    const response = await post('/partners', APP).expect(201);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(handled).toEqual(['partners']);
  });

  it('lets requests without Origin, routes open to any origin and routes with CORS off through', async () => {
    await post('/partners').expect(201);
    await post('/public', EVIL).expect(201);
    await post('/webhook', EVIL).expect(201);
    expect(handled).toEqual(['partners', 'public', 'webhook']);
  });

  it.each([
    ['an Origin that is not a serialized origin', { Origin: 'https://partner.example.com/', 'Access-Control-Request-Method': 'POST' }],
    ['a method that is not a token', { Origin: PARTNER, 'Access-Control-Request-Method': 'PO ST' }],
    ['a malformed header list', { Origin: PARTNER, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-a;b' }],
  ])('answers a preflight with %s with 400', async (_, headers) => {
    const response = await request(app.getHttpServer()).options('/partners').set(headers).expect(400);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a well-formed preflight from a refused origin as usual: no CORS headers, no 400', async () => {
    const response = await request(app.getHttpServer())
      .options('/partners')
      .set({ Origin: EVIL, 'Access-Control-Request-Method': 'POST' })
      .expect(204);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a strict.appOrigins entry that is not an exact origin at startup', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [appModule({ strict: { appOrigins: ['https://*.example.com'] } })],
    }).compile();
    const broken = moduleRef.createNestApplication({ logger: false });
    await expect(broken.init()).rejects.toThrow(/option "strict\.appOrigins"/);
    await broken.close();
  });
});

describe.each(PLATFORMS)(
  "corsCsrfExclusion(): the CSRF protection trusts exactly what each route's CORS policy allows (%s)",
  (platform) => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      const options = { logger: false as const };
      app =
        platform === 'fastify'
          ? await NestFactory.create(appModule({ origin: false }), new FastifyAdapter(), options)
          : await NestFactory.create(appModule({ origin: false }), options);
      app.enableCsrfProtection({ exclude: corsCsrfExclusion(app) });
      await app.listen(0, '127.0.0.1');
      url = await app.getUrl();
    });
    afterAll(() => app.close());
    const post = (path: string, origin: string) => request(url).post(path).set('Origin', origin);

    it("lets an origin the route's resolver trusts through (the CORS middleware runs first and hands over its verdict)", async () => {
      const response = await post('/partners', DATABASE_PARTNER).expect(201);
      expect(response.headers['access-control-allow-origin']).toBe(DATABASE_PARTNER);
    });

    it.each([
      ['a static origin of the route', '/partners', PARTNER],
      ["any origin on a '*' route", '/public', EVIL],
    ])('lets %s through', async (_, path, origin) => {
      const response = await post(path, origin).expect(201);
      expect(response.headers['access-control-allow-origin']).toBe(path === '/public' ? '*' : origin);
    });

    it.each([
      ['an origin the route refuses', '/partners', EVIL],
      ['an origin another route allows', '/webhook', PARTNER],
      ['any origin on a route with CORS off', '/webhook', EVIL],
    ])('rejects %s with 403', async (_, path, origin) => {
      await post(path, origin).expect(403);
      expect(handled).toEqual([]);
    });

    it('lets same-origin requests through, as the CSRF protection does', async () => {
      await post('/webhook', url.replace('[::1]', 'localhost')).expect(201);
      expect(handled).toEqual(['webhook']);
    });

    it('says clearly that NestJS 11 has no CSRF protection to integrate with', () => {
      const nest11App = { get: () => undefined } as unknown as INestApplication;
      expect(() => corsCsrfExclusion(nest11App)).toThrow(/NestJS 12.*On NestJS 11, use CorsModule\.forRoot\(\{ strict/s);
    });
  },
);
