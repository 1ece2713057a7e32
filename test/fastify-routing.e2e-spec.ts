/*
 * Route matching on Fastify (BRIEF §9, issue 15): the policy applied is the one of the handler
 * Fastify's router (find-my-way) really runs, with the app's router options. Where Express
 * matches otherwise (case-insensitive, one trailing slash ignored, first declared route wins,
 * path-to-regexp syntax), each test says so in its name.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { All, Controller, Get, Module, Patch, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { corsHeaders, varyOf } from './support/headers.js';
import { APP_KINDS_ON_PLATFORMS, whenReady } from './support/apps.js';
import { CorsModule, CorsPolicy } from '../lib/index.js';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const OTHER = 'https://other.example.com';

@Controller('orders')
class OrdersController {
  /** Declared first: Express runs it for /orders/me, Fastify runs the more specific `me`. */
  @Get(':id')
  byId() {
    return { route: 'byId' };
  }

  @Get('me')
  @CorsPolicy({ origin: [PARTNER] })
  me() {
    return { route: 'me' };
  }

  @Patch(':id')
  @CorsPolicy({ origin: [OTHER], methods: ['PATCH'] })
  update() {
    return { route: 'update' };
  }
}

@Controller('any')
class AnyController {
  @All()
  @CorsPolicy({ origin: [OTHER], methods: ['PUT', 'PATCH', 'DELETE'] })
  any() {
    return { route: 'any' };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: [APP], paths: { '/docs/{*rest}': { origin: '*' } } })],
  controllers: [OrdersController, AnyController],
})
class CommonModule {}

/** A route in Fastify's syntax only (a regexp parameter): path-to-regexp cannot compile it. */
@Controller('num')
class NumbersController {
  @Get(':n(\\d+)')
  @CorsPolicy({ origin: [OTHER] })
  number() {
    return { route: 'number' };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: [APP] })],
  controllers: [NumbersController, OrdersController],
})
class FastifySyntaxModule {}

const get = (server: Parameters<typeof request>[0], path: string, origin: string) => request(server).get(path).set('Origin', origin);
const preflight = (server: Parameters<typeof request>[0], path: string, origin: string, method: string) =>
  request(server).options(path).set('Origin', origin).set('Access-Control-Request-Method', method);

describe.each(APP_KINDS_ON_PLATFORMS)('route matching ($name)', ({ platform, create }) => {
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  const fastify = platform === 'fastify';

  beforeAll(async () => {
    app = await create(CommonModule);
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  it(`/orders/me is served by ${fastify ? 'the most specific route (me), whatever the order' : 'the first declared route (:id)'}, and gets its policy`, async () => {
    const partner = await get(server, '/orders/me', PARTNER);
    expect(partner.body).toEqual({ route: fastify ? 'me' : 'byId' });
    expect(corsHeaders(partner)).toEqual(fastify ? { 'access-control-allow-origin': PARTNER } : {});
    const appOrigin = await get(server, '/orders/me', APP);
    expect(corsHeaders(appOrigin)).toEqual(fastify ? {} : { 'access-control-allow-origin': APP });
    // A query string changes nothing (static paths are answered from a table built at startup).
    const withQuery = await get(server, '/orders/me?tab=2', PARTNER);
    expect(withQuery.body).toEqual({ route: fastify ? 'me' : 'byId' });
    expect(corsHeaders(withQuery)).toEqual(corsHeaders(partner));
  });

  it('a preflight for GET /orders/me gets the policy of the handler that serves it', async () => {
    const res = await preflight(server, '/orders/me', PARTNER, 'GET');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(fastify ? PARTNER : undefined);
  });

  it('a preflight for PATCH /orders/me gets the PATCH :id handler policy (per method, on both platforms)', async () => {
    const res = await preflight(server, '/orders/me', OTHER, 'PATCH');
    expect(res.headers['access-control-allow-origin']).toBe(OTHER);
    expect(res.headers['access-control-allow-methods']).toBe('PATCH');
    expect(varyOf(res)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method']));
  });

  it(`/ORDERS/me is ${fastify ? 'a Fastify 404 (paths are case-sensitive): module defaults' : 'served case-insensitively by Express'}`, async () => {
    const res = await get(server, '/ORDERS/me', APP);
    expect(res.status).toBe(fastify ? 404 : 200);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
  });

  it(`/orders/me/ is ${fastify ? 'a Fastify 404 (a trailing slash counts): module defaults' : 'served by Express (one trailing slash ignored)'}`, async () => {
    const res = await get(server, '/orders/me/', PARTNER);
    expect(res.status).toBe(fastify ? 404 : 200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const appOrigin = await get(server, '/orders/me/', APP);
    expect(appOrigin.headers['access-control-allow-origin']).toBe(APP);
  });

  it('HEAD /orders/me gets the policy of the GET handler', async () => {
    const res = await request(server).head('/orders/me').set('Origin', PARTNER);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(fastify ? PARTNER : undefined);
  });

  it('an @All() route answers the preflight of any method with its policy', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await preflight(server, '/any', OTHER, method);
      expect(res.headers['access-control-allow-origin']).toBe(OTHER);
      expect(res.headers['access-control-allow-methods']).toBe('PUT,PATCH,DELETE');
    }
    const actual = await request(server).delete('/any').set('Origin', OTHER);
    expect(actual.body).toEqual({ route: 'any' });
    expect(actual.headers['access-control-allow-origin']).toBe(OTHER);
  });

  it('a paths pattern gives its policy to a path no route serves', async () => {
    const res = await get(server, '/docs/index.html', PARTNER);
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it(`a paths pattern ${fastify ? 'is case-sensitive, as the router' : 'is case-insensitive, as Express routes'}`, async () => {
    const res = await get(server, '/DOCS/index.html', PARTNER);
    expect(res.headers['access-control-allow-origin']).toBe(fastify ? undefined : '*');
  });
});

describe.each(APP_KINDS_ON_PLATFORMS.filter(({ platform }) => platform === 'fastify'))(
  'a route in Fastify-only syntax ($name)',
  ({ create }) => {
    let app: INestApplication;
    let server: ReturnType<INestApplication['getHttpServer']>;

    beforeAll(async () => {
      app = await create(FastifySyntaxModule);
      server = app.getHttpServer();
    });

    afterAll(async () => {
      await app?.close();
    });

    it("the app starts with @Get(':n(\\\\d+)'), and the route's policy applies where Fastify serves it", async () => {
      const res = await get(server, '/num/12', OTHER);
      expect(res.body).toEqual({ route: 'number' });
      expect(res.headers['access-control-allow-origin']).toBe(OTHER);
      const pre = await preflight(server, '/num/12', OTHER, 'GET');
      expect(pre.headers['access-control-allow-origin']).toBe(OTHER);
    });

    it('a path the regexp parameter refuses is a Fastify 404 with the module defaults', async () => {
      const res = await get(server, '/num/ab', OTHER);
      expect(res.status).toBe(404);
      expect(corsHeaders(res)).toEqual({});
      const appOrigin = await get(server, '/num/ab', APP);
      expect(appOrigin.headers['access-control-allow-origin']).toBe(APP);
    });

    it('an empty route parameter is a 404 (as Nest answers it) with the module defaults', async () => {
      const res = await get(server, '/orders/', PARTNER);
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  },
);

describe("Fastify's router options are the table's", () => {
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CommonModule] }).compile();
    const adapter = new FastifyAdapter({ routerOptions: { caseSensitive: false, ignoreTrailingSlash: true } });
    app = await whenReady(await moduleRef.createNestApplication(adapter, { logger: false }).init());
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('caseSensitive: false serves /ORDERS/me with the me handler, and its policy applies', async () => {
    const res = await get(server, '/ORDERS/me', PARTNER);
    expect(res.body).toEqual({ route: 'me' });
    expect(res.headers['access-control-allow-origin']).toBe(PARTNER);
  });

  it('ignoreTrailingSlash: true serves /orders/me/ with the me handler, and its policy applies', async () => {
    const res = await get(server, '/orders/me/', PARTNER);
    expect(res.body).toEqual({ route: 'me' });
    expect(res.headers['access-control-allow-origin']).toBe(PARTNER);
  });

  it('the top-level spelling (caseSensitive: false) is read too', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CommonModule] }).compile();
    const legacy = await whenReady(
      await moduleRef.createNestApplication(new FastifyAdapter({ caseSensitive: false }), { logger: false }).init(),
    );
    try {
      const res = await get(legacy.getHttpServer(), '/ORDERS/me', PARTNER);
      expect(res.body).toEqual({ route: 'me' });
      expect(res.headers['access-control-allow-origin']).toBe(PARTNER);
    } finally {
      await legacy.close();
    }
  });
});
