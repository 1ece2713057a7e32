/*
 * Per-route policies (BRIEF §2 "Merge semantics"): module defaults, controller `@CorsPolicy`,
 * handler `@CorsPolicy`, named policies and `@CorsPolicy(false)`, each asserted for actual
 * requests and for preflights, with the exact values of every `Access-Control-*` header (and
 * the absence of every other one).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Delete, Get, Module, Patch, Post, Put, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { corsHeaders, varyOf } from './support/headers.js';
import { PLATFORMS, createTestingApp } from './support/apps.js';
import { CorsConfigurationError, CorsModule, CorsPolicy } from '../lib/index.js';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const OTHER = 'https://other.example.com';
const EVIL = 'https://evil.example.net';

/** What `cors` sends as `Access-Control-Allow-Methods` when `methods` is unset. */
const CORS_PACKAGE_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

/* ---------------------------------------------------------------- the app */

/** Module defaults: every field set, so that "inherited" and "replaced" are both visible. */
const MODULE_DEFAULTS = {
  origin: [APP],
  methods: ['GET', 'POST'],
  allowedHeaders: ['Content-Type'],
  exposedHeaders: ['X-Total'],
  credentials: true,
  maxAge: 600,
};

/** Named policies: `partners` leaves most fields unset (they take the `cors` package defaults). */
const POLICIES = {
  partners: { origin: [PARTNER], maxAge: 30 },
  trusted: {
    origin: [OTHER],
    credentials: true,
    methods: ['GET', 'DELETE'],
    allowedHeaders: ['X-Trusted'],
    exposedHeaders: ['X-Trust-Level'],
    maxAge: 45,
  },
  public: { origin: '*' },
};

/** No decorator at all: module defaults, and handler objects directly over them. */
@Controller('plain')
class PlainController {
  @Get() list() {
    return { route: 'plain.list' };
  }

  /** Arrays replaced, never concatenated: methods ['GET','POST'] + ['PATCH'] → 'PATCH'. */
  @Patch(':id')
  @CorsPolicy({ methods: ['PATCH'] })
  update() {
    return { route: 'plain.update' };
  }

  /** allowedHeaders ['Content-Type'] + ['X-Request-Id'] → 'X-Request-Id'. */
  @Put(':id')
  @CorsPolicy({ allowedHeaders: ['X-Request-Id'], exposedHeaders: ['X-Version'] })
  replace() {
    return { route: 'plain.replace' };
  }

  /** origin [APP] + [OTHER] → only OTHER (APP is no longer trusted here). */
  @Get('other')
  @CorsPolicy({ origin: [OTHER] })
  other() {
    return { route: 'plain.other' };
  }

  /** A named policy on a handler of an undecorated controller replaces the module defaults. */
  @Get('named')
  @CorsPolicy('partners')
  named() {
    return { route: 'plain.named' };
  }
}

/** A controller-level object: fields over the module defaults, handlers' fields over those. */
@Controller('orders')
@CorsPolicy({ origin: [PARTNER], exposedHeaders: ['X-Order-Id'], maxAge: 120 })
class OrdersController {
  @Get() list() {
    return { route: 'orders.list' };
  }

  @Patch(':id')
  @CorsPolicy({ methods: ['PATCH'], allowedHeaders: ['Content-Type', 'X-Request-Id'], maxAge: 20 })
  update() {
    return { route: 'orders.update' };
  }

  @Get('catalogue')
  @CorsPolicy({ origin: '*', credentials: false })
  catalogue() {
    return { route: 'orders.catalogue' };
  }

  /** A named policy on a handler replaces the module defaults AND the controller's policy. */
  @Get('summary')
  @CorsPolicy('partners')
  summary() {
    return { route: 'orders.summary' };
  }

  @Get('trusted')
  @CorsPolicy('trusted')
  trusted() {
    return { route: 'orders.trusted' };
  }

  @Post('webhook')
  @CorsPolicy(false)
  webhook() {
    return { route: 'orders.webhook' };
  }
}

/** A controller-level named policy. */
@Controller('named')
@CorsPolicy('partners')
class NamedController {
  @Get() list() {
    return { route: 'named.list' };
  }

  /** A handler object over a controller's named policy: fields on top of the named policy. */
  @Put(':id')
  @CorsPolicy({ allowedHeaders: ['X-Named'], maxAge: 5, credentials: true })
  replace() {
    return { route: 'named.replace' };
  }

  /** Another name on the handler replaces the controller's name. */
  @Get('public')
  @CorsPolicy('public')
  everyone() {
    return { route: 'named.public' };
  }

  @Delete(':id')
  @CorsPolicy(false)
  remove() {
    return { route: 'named.remove' };
  }
}

/** CORS switched off for the whole controller, switched on again by some handlers. */
@Controller('off')
@CorsPolicy(false)
class OffController {
  @Get() list() {
    return { route: 'off.list' };
  }

  /** Sets a policy again: its fields apply over the module defaults (not over "off"). */
  @Patch(':id')
  @CorsPolicy({ methods: ['PATCH'], maxAge: 7 })
  update() {
    return { route: 'off.update' };
  }

  @Get('named')
  @CorsPolicy('partners')
  named() {
    return { route: 'off.named' };
  }
}

@Module({
  imports: [CorsModule.forRoot({ ...MODULE_DEFAULTS, policies: POLICIES })],
  controllers: [PlainController, OrdersController, NamedController, OffController],
})
class AppModule {}

/* ---------------------------------------------------------------- expected answers */

/** Actual-request headers of the module defaults for an allowed origin. */
const DEFAULTS_ACTUAL = {
  'access-control-allow-origin': APP,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers': 'X-Total',
};

/** Preflight headers of the module defaults for an allowed origin. */
const DEFAULTS_PREFLIGHT = {
  ...DEFAULTS_ACTUAL,
  'access-control-allow-methods': 'GET,POST',
  'access-control-allow-headers': 'Content-Type',
  'access-control-max-age': '600',
};

describe.each(PLATFORMS)('Per-route policies (%s)', (platform) => {
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    app = await createTestingApp(AppModule, undefined, platform);
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  const preflight = (path: string, origin: string, method: string, requestHeaders?: string) => {
    const req = request(server).options(path).set('Origin', origin).set('Access-Control-Request-Method', method);
    return requestHeaders === undefined ? req : req.set('Access-Control-Request-Headers', requestHeaders);
  };

  describe('module defaults (no decorator)', () => {
    it('actual request from an allowed origin gets the module defaults', async () => {
      const res = await request(server).get('/plain').set('Origin', APP);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ route: 'plain.list' });
      expect(corsHeaders(res)).toEqual(DEFAULTS_ACTUAL);
      expect(varyOf(res)).toContain('origin');
    });

    it('actual request from a refused origin gets no Access-Control-* header, but Vary: Origin and the handler runs', async () => {
      const res = await request(server).get('/plain').set('Origin', EVIL);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ route: 'plain.list' });
      expect(corsHeaders(res)).toEqual({});
      expect(varyOf(res)).toContain('origin');
    });

    it('preflight gets the module defaults, exact values', async () => {
      const res = await preflight('/plain', APP, 'POST', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(DEFAULTS_PREFLIGHT);
      expect(varyOf(res)).toContain('origin');
    });

    it('preflight from a refused origin gets no Access-Control-* header', async () => {
      const res = await preflight('/plain', EVIL, 'POST', 'content-type');
      expect(corsHeaders(res)).toEqual({});
      expect(varyOf(res)).toContain('origin');
    });
  });

  describe('handler object over the module defaults', () => {
    it("methods ['PATCH'] over ['GET','POST'] gives exactly 'PATCH' (replaced, not concatenated); other fields inherited", async () => {
      const res = await preflight('/plain/7', APP, 'PATCH', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({ ...DEFAULTS_PREFLIGHT, 'access-control-allow-methods': 'PATCH' });

      const actual = await request(server).patch('/plain/7').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'plain.update' });
      expect(corsHeaders(actual)).toEqual(DEFAULTS_ACTUAL);
    });

    it("allowedHeaders ['X-Request-Id'] over ['Content-Type'] gives exactly 'X-Request-Id'; exposedHeaders replaced too", async () => {
      const res = await preflight('/plain/7', APP, 'PUT', 'x-request-id');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        ...DEFAULTS_PREFLIGHT,
        'access-control-allow-headers': 'X-Request-Id',
        'access-control-expose-headers': 'X-Version',
      });

      const actual = await request(server).put('/plain/7').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'plain.replace' });
      expect(corsHeaders(actual)).toEqual({ ...DEFAULTS_ACTUAL, 'access-control-expose-headers': 'X-Version' });
    });

    it('origin [OTHER] over [APP] trusts only OTHER: the module-level origin is not kept', async () => {
      const allowed = await request(server).get('/plain/other').set('Origin', OTHER);
      expect(allowed.status).toBe(200);
      expect(corsHeaders(allowed)).toEqual({ ...DEFAULTS_ACTUAL, 'access-control-allow-origin': OTHER });

      const refused = await request(server).get('/plain/other').set('Origin', APP);
      expect(refused.status).toBe(200);
      expect(refused.body).toEqual({ route: 'plain.other' });
      expect(corsHeaders(refused)).toEqual({});
      expect(varyOf(refused)).toContain('origin');

      const refusedPreflight = await preflight('/plain/other', APP, 'GET', 'content-type');
      expect(corsHeaders(refusedPreflight)).toEqual({});

      const allowedPreflight = await preflight('/plain/other', OTHER, 'GET', 'content-type');
      expect(allowedPreflight.status).toBe(204);
      expect(corsHeaders(allowedPreflight)).toEqual({ ...DEFAULTS_PREFLIGHT, 'access-control-allow-origin': OTHER });
    });
  });

  describe('controller object, then handler object', () => {
    const ORDERS_ACTUAL = {
      'access-control-allow-origin': PARTNER,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Order-Id',
    };
    const ORDERS_PREFLIGHT = {
      ...ORDERS_ACTUAL,
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'Content-Type',
      'access-control-max-age': '120',
    };

    it('controller fields replace the defaults field by field; unset fields come from the module defaults', async () => {
      const actual = await request(server).get('/orders').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'orders.list' });
      expect(corsHeaders(actual)).toEqual(ORDERS_ACTUAL);
      expect(varyOf(actual)).toContain('origin');

      // GET with a custom header needs a preflight; GET is the method /orders serves.
      const res = await preflight('/orders', PARTNER, 'GET', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(ORDERS_PREFLIGHT);
    });

    it("the module's origin is not trusted where the controller sets its own origin", async () => {
      const actual = await request(server).get('/orders').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(corsHeaders(actual)).toEqual({});

      const res = await preflight('/orders', APP, 'GET', 'content-type');
      expect(corsHeaders(res)).toEqual({});
    });

    it('handler fields over the controller fields over the module defaults', async () => {
      const res = await preflight('/orders/12', PARTNER, 'PATCH', 'content-type,x-request-id');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': PARTNER, // controller
        'access-control-allow-credentials': 'true', // module defaults
        'access-control-expose-headers': 'X-Order-Id', // controller
        'access-control-allow-methods': 'PATCH', // handler
        'access-control-allow-headers': 'Content-Type,X-Request-Id', // handler
        'access-control-max-age': '20', // handler
      });

      const actual = await request(server).patch('/orders/12').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'orders.update' });
      expect(corsHeaders(actual)).toEqual(ORDERS_ACTUAL);
    });

    it("a handler's origin '*' without credentials answers '*' and no Allow-Credentials", async () => {
      const actual = await request(server).get('/orders/catalogue').set('Origin', EVIL);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'orders.catalogue' });
      expect(corsHeaders(actual)).toEqual({
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'X-Order-Id',
      });

      const res = await preflight('/orders/catalogue', EVIL, 'GET', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'X-Order-Id',
        'access-control-allow-methods': 'GET,POST',
        'access-control-allow-headers': 'Content-Type',
        'access-control-max-age': '120',
      });
    });
  });

  describe('named policies', () => {
    /** `partners` = { origin: [PARTNER], maxAge: 30 }: everything else takes the `cors` package defaults. */
    const PARTNERS_ACTUAL = { 'access-control-allow-origin': PARTNER };

    it('on a handler of an undecorated controller: replaces the module defaults (no credentials, no expose, cors-package methods)', async () => {
      const actual = await request(server).get('/plain/named').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'plain.named' });
      expect(corsHeaders(actual)).toEqual(PARTNERS_ACTUAL);
      expect(varyOf(actual)).toContain('origin');

      const res = await preflight('/plain/named', PARTNER, 'GET', 'x-anything');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        ...PARTNERS_ACTUAL,
        'access-control-allow-methods': CORS_PACKAGE_METHODS,
        'access-control-allow-headers': 'x-anything', // no allowedHeaders: the requested ones are reflected
        'access-control-max-age': '30',
      });
      expect(varyOf(res)).toEqual(expect.arrayContaining(['origin', 'access-control-request-headers']));
    });

    it("on a handler: the module's origin is not trusted there", async () => {
      const actual = await request(server).get('/plain/named').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(corsHeaders(actual)).toEqual({});
      const res = await preflight('/plain/named', APP, 'GET');
      expect(corsHeaders(res)).toEqual({});
    });

    it("on a handler: replaces the controller's policy too", async () => {
      const actual = await request(server).get('/orders/summary').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'orders.summary' });
      // Neither the controller's exposedHeaders/maxAge nor the module's credentials survive.
      expect(corsHeaders(actual)).toEqual(PARTNERS_ACTUAL);

      const res = await preflight('/orders/summary', PARTNER, 'GET');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        ...PARTNERS_ACTUAL,
        'access-control-allow-methods': CORS_PACKAGE_METHODS,
        'access-control-max-age': '30',
      });
    });

    it('a named policy with every field set is sent as declared', async () => {
      const actual = await request(server).get('/orders/trusted').set('Origin', OTHER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'orders.trusted' });
      expect(corsHeaders(actual)).toEqual({
        'access-control-allow-origin': OTHER,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Trust-Level',
      });

      const res = await preflight('/orders/trusted', OTHER, 'GET', 'x-trusted');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': OTHER,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Trust-Level',
        'access-control-allow-methods': 'GET,DELETE',
        'access-control-allow-headers': 'X-Trusted',
        'access-control-max-age': '45',
      });

      // The controller's origin (PARTNER) is not trusted on this handler.
      const refused = await request(server).get('/orders/trusted').set('Origin', PARTNER);
      expect(corsHeaders(refused)).toEqual({});
    });

    it('on a controller: replaces the module defaults for its handlers', async () => {
      const actual = await request(server).get('/named').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'named.list' });
      expect(corsHeaders(actual)).toEqual(PARTNERS_ACTUAL);

      const res = await preflight('/named', PARTNER, 'GET', 'x-custom');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        ...PARTNERS_ACTUAL,
        'access-control-allow-methods': CORS_PACKAGE_METHODS,
        'access-control-allow-headers': 'x-custom',
        'access-control-max-age': '30',
      });

      const refused = await request(server).get('/named').set('Origin', APP);
      expect(refused.status).toBe(200);
      expect(corsHeaders(refused)).toEqual({});
    });

    it("a handler object over a controller's named policy overrides fields on top of the named policy", async () => {
      const res = await preflight('/named/3', PARTNER, 'PUT', 'x-named');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': PARTNER, // named policy
        'access-control-allow-credentials': 'true', // handler
        'access-control-allow-methods': CORS_PACKAGE_METHODS, // named policy leaves it unset: cors package default, not the module's GET,POST
        'access-control-allow-headers': 'X-Named', // handler
        'access-control-max-age': '5', // handler
      });

      const actual = await request(server).put('/named/3').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'named.replace' });
      expect(corsHeaders(actual)).toEqual({
        'access-control-allow-origin': PARTNER,
        'access-control-allow-credentials': 'true',
      });

      // The module defaults' origin stays replaced.
      const refused = await request(server).put('/named/3').set('Origin', APP);
      expect(corsHeaders(refused)).toEqual({});
    });

    it("a handler's name replaces the controller's name", async () => {
      const actual = await request(server).get('/named/public').set('Origin', EVIL);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'named.public' });
      expect(corsHeaders(actual)).toEqual({ 'access-control-allow-origin': '*' });

      const res = await preflight('/named/public', EVIL, 'GET', 'x-one');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': CORS_PACKAGE_METHODS,
        'access-control-allow-headers': 'x-one',
      });
    });
  });

  describe('@CorsPolicy(false)', () => {
    it('on a handler: no Access-Control-* header and no Vary on the actual request, the handler runs', async () => {
      const res = await request(server).post('/orders/webhook').set('Origin', PARTNER);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ route: 'orders.webhook' });
      expect(corsHeaders(res)).toEqual({});
      expect(res.headers.vary).toBeUndefined();
    });

    it('on a handler: a preflight for that method is not answered with CORS headers', async () => {
      const res = await preflight('/orders/webhook', PARTNER, 'POST', 'content-type');
      expect(corsHeaders(res)).toEqual({});
      expect(res.headers.vary).toBeUndefined();
    });

    it('on a handler of a controller with a named policy', async () => {
      const res = await request(server).delete('/named/9').set('Origin', PARTNER);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ route: 'named.remove' });
      expect(corsHeaders(res)).toEqual({});
      expect(res.headers.vary).toBeUndefined();

      const pre = await preflight('/named/9', PARTNER, 'DELETE');
      expect(corsHeaders(pre)).toEqual({});
    });

    it('on a controller: no Access-Control-* header and no Vary for its handlers', async () => {
      for (const origin of [APP, PARTNER, EVIL]) {
        const res = await request(server).get('/off').set('Origin', origin);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ route: 'off.list' });
        expect(corsHeaders(res)).toEqual({});
        expect(res.headers.vary).toBeUndefined();
      }
      const noOrigin = await request(server).get('/off');
      expect(noOrigin.status).toBe(200);
      expect(noOrigin.headers.vary).toBeUndefined();

      const pre = await preflight('/off', APP, 'GET', 'content-type');
      expect(corsHeaders(pre)).toEqual({});
      expect(pre.headers.vary).toBeUndefined();
    });

    it('on a controller, with a handler object that sets a policy again: the handler fields apply over the module defaults', async () => {
      const res = await preflight('/off/4', APP, 'PATCH', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        ...DEFAULTS_PREFLIGHT,
        'access-control-allow-methods': 'PATCH',
        'access-control-max-age': '7',
      });
      expect(varyOf(res)).toContain('origin');

      const actual = await request(server).patch('/off/4').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'off.update' });
      expect(corsHeaders(actual)).toEqual(DEFAULTS_ACTUAL);
      expect(varyOf(actual)).toContain('origin');

      const refused = await request(server).patch('/off/4').set('Origin', EVIL);
      expect(corsHeaders(refused)).toEqual({});
      expect(varyOf(refused)).toContain('origin');
    });

    it('on a controller, with a handler that names a policy: the named policy applies', async () => {
      const actual = await request(server).get('/off/named').set('Origin', PARTNER);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'off.named' });
      expect(corsHeaders(actual)).toEqual({ 'access-control-allow-origin': PARTNER });

      const res = await preflight('/off/named', PARTNER, 'GET');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        'access-control-allow-origin': PARTNER,
        'access-control-allow-methods': CORS_PACKAGE_METHODS,
        'access-control-max-age': '30',
      });
    });
  });

  describe('routes that no handler serves: module defaults', () => {
    it('an unknown path: the 404 carries the module defaults for an allowed origin', async () => {
      const res = await request(server).get('/nowhere/at/all').set('Origin', APP);
      expect(res.status).toBe(404);
      expect(corsHeaders(res)).toEqual(DEFAULTS_ACTUAL);
      expect(varyOf(res)).toContain('origin');

      const refused = await request(server).get('/nowhere/at/all').set('Origin', PARTNER);
      expect(refused.status).toBe(404);
      expect(corsHeaders(refused)).toEqual({});
      expect(varyOf(refused)).toContain('origin');
    });

    it('an unknown path: a preflight gets the module defaults', async () => {
      const res = await preflight('/nowhere/at/all', APP, 'PUT', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(DEFAULTS_PREFLIGHT);
    });

    it("a method no handler serves at a known path: the preflight gets the module defaults, not the controller's policy", async () => {
      // /orders serves GET (controller policy: PARTNER); nothing serves DELETE /orders.
      const res = await preflight('/orders', APP, 'DELETE', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(DEFAULTS_PREFLIGHT);
      expect(varyOf(res)).toContain('access-control-request-method');

      const partner = await preflight('/orders', PARTNER, 'DELETE', 'content-type');
      expect(corsHeaders(partner)).toEqual({});
    });

    it('a method no handler serves at a known path: the actual 404 carries the module defaults', async () => {
      const res = await request(server).delete('/orders').set('Origin', APP);
      expect(res.status).toBe(404);
      expect(corsHeaders(res)).toEqual(DEFAULTS_ACTUAL);

      const partner = await request(server).delete('/orders').set('Origin', PARTNER);
      expect(partner.status).toBe(404);
      expect(corsHeaders(partner)).toEqual({});
    });

    it('a method no handler serves under a controller with @CorsPolicy(false): module defaults, not "off"', async () => {
      const res = await preflight('/off', APP, 'DELETE', 'content-type');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(DEFAULTS_PREFLIGHT);

      const actual = await request(server).delete('/off').set('Origin', APP);
      expect(actual.status).toBe(404);
      expect(corsHeaders(actual)).toEqual(DEFAULTS_ACTUAL);
    });
  });
});

describe('Unknown policy name', () => {
  it('on a handler: app.init() fails with a CorsConfigurationError naming the name, Controller.handler and the known names', async () => {
    @Controller('broken')
    class BrokenController {
      @Get() @CorsPolicy('partnres') handle() {
        return {};
      }
    }
    @Module({
      imports: [CorsModule.forRoot({ origin: [APP], policies: { partners: { origin: [PARTNER] }, internal: { origin: [OTHER] } } })],
      controllers: [BrokenController],
    })
    class BrokenModule {}

    const moduleRef = await Test.createTestingModule({ imports: [BrokenModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    let error: unknown;
    try {
      await app.init();
    } catch (caught) {
      error = caught;
    } finally {
      await app.close().catch(() => undefined);
    }
    expect(error).toBeInstanceOf(CorsConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain("'partnres'");
    expect(message).toContain('BrokenController.handle');
    expect(message).toContain("'partners'");
    expect(message).toContain("'internal'");
  });

  it('on a controller: app.init() fails with a CorsConfigurationError naming the name, the controller and the known names', async () => {
    @Controller('broken-controller')
    @CorsPolicy('nope')
    class BrokenControllerLevel {
      @Get() list() {
        return {};
      }
    }
    @Module({
      imports: [CorsModule.forRoot({ origin: [APP], policies: { partners: { origin: [PARTNER] } } })],
      controllers: [BrokenControllerLevel],
    })
    class BrokenControllerModule {}

    const moduleRef = await Test.createTestingModule({ imports: [BrokenControllerModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    let error: unknown;
    try {
      await app.init();
    } catch (caught) {
      error = caught;
    } finally {
      await app.close().catch(() => undefined);
    }
    expect(error).toBeInstanceOf(CorsConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain("'nope'");
    expect(message).toContain('BrokenControllerLevel');
    expect(message).toContain("'partners'");
  });

  it('with no named policies at all: the message says how to declare one', async () => {
    @Controller('broken-none')
    class NoPoliciesController {
      @Get() @CorsPolicy('partners') handle() {
        return {};
      }
    }
    @Module({ imports: [CorsModule.forRoot({ origin: [APP] })], controllers: [NoPoliciesController] })
    class NoPoliciesModule {}

    const moduleRef = await Test.createTestingModule({ imports: [NoPoliciesModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    let error: unknown;
    try {
      await app.init();
    } catch (caught) {
      error = caught;
    } finally {
      await app.close().catch(() => undefined);
    }
    expect(error).toBeInstanceOf(CorsConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain("'partners'");
    expect(message).toContain('NoPoliciesController.handle');
    expect(message).toContain('policies');
  });
});
