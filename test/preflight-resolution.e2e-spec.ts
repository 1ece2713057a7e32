/*
 * Preflight resolution (BRIEF §3.3): a preflight is answered with the policy of the handler that
 * serves the requested method at the requested path, exactly as Nest registers its routes
 * (global prefix and its exclusions, URI and header versioning, route parameters, wildcards,
 * RouterModule paths, host-bound controllers). Every handler below has a distinctive policy:
 * a distinctive `maxAge` and `allowedHeaders` (sent on preflights) and a distinctive
 * `exposedHeaders` (sent on actual requests too), so each answer names the policy it came from.
 * Every preflight is paired with the actual request on the same route, whose status and body
 * come from the real handler: that pins that Nest really serves that route at that path.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  HostParam,
  Module,
  Options,
  Param,
  Patch,
  Post,
  RequestMethod,
  Version,
  VersioningType,
  type INestApplication,
  type NestApplicationOptions,
  type Type,
} from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { corsHeaders, varyOf } from './support/headers.js';
import { PLATFORMS, whenReady, type Platform } from './support/apps.js';
import { CorsModule, CorsPolicy, type CorsPolicyOptions } from '../lib/index.js';

const APP = 'https://app.example.com';

/** A distinctive policy: its `maxAge`, allowed header and exposed header all carry its name. */
function policy(name: string, maxAge: number, extra: CorsPolicyOptions = {}): CorsPolicyOptions {
  return { allowedHeaders: [`X-${name}`], exposedHeaders: [`X-Policy-${name}`], maxAge, ...extra };
}

/** The module defaults of every app below. */
const DEFAULTS = { origin: [APP], ...policy('Defaults', 1) };

/** What a preflight answered with `policy(name, maxAge)` carries. */
function preflightAnswer(name: string, maxAge: number, methods = 'GET,HEAD,PUT,PATCH,POST,DELETE') {
  return {
    'access-control-allow-origin': APP,
    'access-control-allow-methods': methods,
    'access-control-allow-headers': `X-${name}`,
    'access-control-expose-headers': `X-Policy-${name}`,
    'access-control-max-age': String(maxAge),
  };
}

/** What an actual request answered with `policy(name, ...)` carries. */
function actualAnswer(name: string) {
  return { 'access-control-allow-origin': APP, 'access-control-expose-headers': `X-Policy-${name}` };
}

async function boot(
  module: Type,
  setup: (app: INestApplication) => void = () => undefined,
  options: NestApplicationOptions = {},
  platform: Platform = 'express',
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module as never] }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false, ...options })
      : moduleRef.createNestApplication({ logger: false, ...options });
  setup(app);
  return whenReady(await app.init());
}

type Server = ReturnType<INestApplication['getHttpServer']>;

function preflight(server: Server, path: string, method: string, requestHeaders?: string, host?: string) {
  let req = request(server).options(path).set('Origin', APP).set('Access-Control-Request-Method', method);
  if (requestHeaders !== undefined) req = req.set('Access-Control-Request-Headers', requestHeaders);
  if (host !== undefined) req = req.set('Host', host);
  return req;
}

/* ================================================================ global prefix with an excluded route */

@Controller('health')
@CorsPolicy(policy('Health', 11))
class HealthController {
  @Get() check() {
    return { route: 'health' };
  }
}

@Controller('things')
@CorsPolicy(policy('PrefixedThings', 12))
class PrefixedThingsController {
  @Get() list() {
    return { route: 'prefixed-things' };
  }
  @Patch(':id') @CorsPolicy(policy('PrefixedPatch', 13)) update(@Param('id') id: string) {
    return { route: 'prefixed-patch', id };
  }
}

@Controller('status')
class StatusController {
  @Get() @CorsPolicy(policy('StatusGet', 14)) read() {
    return { route: 'status-get' };
  }
  @Post() @CorsPolicy(policy('StatusPost', 15)) write() {
    return { route: 'status-post' };
  }
}

@Module({ imports: [CorsModule.forRoot(DEFAULTS)], controllers: [HealthController, PrefixedThingsController, StatusController] })
class PrefixAppModule {}

describe.each(PLATFORMS)('global prefix with an excluded route (%s)', (platform) => {
  let app: INestApplication;
  let server: Server;
  beforeAll(async () => {
    app = await boot(
      PrefixAppModule,
      (a) => a.setGlobalPrefix('api', { exclude: ['health', { path: 'status', method: RequestMethod.GET }] }),
      {},
      platform,
    );
    server = app.getHttpServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('the excluded route /health (outside the prefix) is answered with its own policy', async () => {
    const actual = await request(server).get('/health').set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'health' });
    expect(corsHeaders(actual)).toEqual(actualAnswer('Health'));

    const res = await preflight(server, '/health', 'GET', 'x-health');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('Health', 11));
  });

  it('/api/health is not served (excluded): module defaults', async () => {
    const actual = await request(server).get('/api/health').set('Origin', APP);
    expect(actual.status).toBe(404);
    expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

    const res = await preflight(server, '/api/health', 'GET', 'x-health');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
  });

  it('a prefixed route /api/things is answered with its policy', async () => {
    const actual = await request(server).get('/api/things').set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'prefixed-things' });
    expect(corsHeaders(actual)).toEqual(actualAnswer('PrefixedThings'));

    const res = await preflight(server, '/api/things', 'GET', 'x-prefixedthings');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('PrefixedThings', 12));
  });

  it('a prefixed route with a parameter, /api/things/:id, is answered with its handler policy', async () => {
    const actual = await request(server).patch('/api/things/42').set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'prefixed-patch', id: '42' });
    expect(corsHeaders(actual)).toEqual(actualAnswer('PrefixedPatch'));

    const res = await preflight(server, '/api/things/42', 'PATCH', 'x-prefixedpatch');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('PrefixedPatch', 13));
  });

  it('an exclusion for one method: GET /status is outside the prefix, POST stays under /api', async () => {
    const get = await request(server).get('/status').set('Origin', APP);
    expect(get.status).toBe(200);
    expect(get.body).toEqual({ route: 'status-get' });
    expect(corsHeaders(get)).toEqual(actualAnswer('StatusGet'));
    const getPreflight = await preflight(server, '/status', 'GET', 'x-statusget');
    expect(getPreflight.status).toBe(204);
    expect(corsHeaders(getPreflight)).toEqual(preflightAnswer('StatusGet', 14));

    const post = await request(server).post('/api/status').set('Origin', APP);
    expect(post.status).toBe(201);
    expect(post.body).toEqual({ route: 'status-post' });
    expect(corsHeaders(post)).toEqual(actualAnswer('StatusPost'));
    const postPreflight = await preflight(server, '/api/status', 'POST', 'x-statuspost');
    expect(postPreflight.status).toBe(204);
    expect(corsHeaders(postPreflight)).toEqual(preflightAnswer('StatusPost', 15));
  });

  it('an exclusion for one method: POST /status and GET /api/status are not served (module defaults)', async () => {
    const post = await request(server).post('/status').set('Origin', APP);
    expect(post.status).toBe(404);
    expect(corsHeaders(post)).toEqual(actualAnswer('Defaults'));
    const postPreflight = await preflight(server, '/status', 'POST', 'x-defaults');
    expect(corsHeaders(postPreflight)).toEqual(preflightAnswer('Defaults', 1));

    const get = await request(server).get('/api/status').set('Origin', APP);
    expect(get.status).toBe(404);
    expect(corsHeaders(get)).toEqual(actualAnswer('Defaults'));
    const getPreflight = await preflight(server, '/api/status', 'GET', 'x-defaults');
    expect(corsHeaders(getPreflight)).toEqual(preflightAnswer('Defaults', 1));
  });

  it('/things without the prefix is not served: module defaults', async () => {
    const actual = await request(server).get('/things').set('Origin', APP);
    expect(actual.status).toBe(404);
    expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

    const res = await preflight(server, '/things', 'GET');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
  });
});

/* ================================================================ URI versioning */

@Controller('items')
class UriItemsController {
  @Get() @Version('1') @CorsPolicy(policy('ItemsV1', 21)) listV1() {
    return { route: 'items', version: 1 };
  }
  @Get() @Version('2') @CorsPolicy(policy('ItemsV2', 22)) listV2() {
    return { route: 'items', version: 2 };
  }
  @Patch(':id') @Version('2') @CorsPolicy(policy('ItemsPatchV2', 23)) updateV2(@Param('id') id: string) {
    return { route: 'items-patch', version: 2, id };
  }
}

@Module({ imports: [CorsModule.forRoot(DEFAULTS)], controllers: [UriItemsController] })
class UriVersioningAppModule {}

describe.each(PLATFORMS)('URI versioning (%s)', (platform) => {
  let app: INestApplication;
  let server: Server;
  beforeAll(async () => {
    app = await boot(UriVersioningAppModule, (a) => a.enableVersioning({ type: VersioningType.URI }), {}, platform);
    server = app.getHttpServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['/v1/items', 'ItemsV1', 21, 1],
    ['/v2/items', 'ItemsV2', 22, 2],
  ] as const)('%s is answered with its version policy', async (path, name, maxAge, version) => {
    const actual = await request(server).get(path).set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'items', version });
    expect(corsHeaders(actual)).toEqual(actualAnswer(name));

    const res = await preflight(server, path, 'GET', `x-${name.toLowerCase()}`);
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer(name, maxAge));
  });

  it('PATCH /v2/items/:id is answered with its policy; PATCH /v1/items/:id is not served (module defaults)', async () => {
    const actual = await request(server).patch('/v2/items/5').set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'items-patch', version: 2, id: '5' });
    expect(corsHeaders(actual)).toEqual(actualAnswer('ItemsPatchV2'));

    const res = await preflight(server, '/v2/items/5', 'PATCH', 'x-itemspatchv2');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('ItemsPatchV2', 23));

    const v1 = await request(server).patch('/v1/items/5').set('Origin', APP);
    expect(v1.status).toBe(404);
    expect(corsHeaders(v1)).toEqual(actualAnswer('Defaults'));
    const v1Preflight = await preflight(server, '/v1/items/5', 'PATCH');
    expect(corsHeaders(v1Preflight)).toEqual(preflightAnswer('Defaults', 1));
  });

  it('/items without a version is not served: module defaults', async () => {
    const actual = await request(server).get('/items').set('Origin', APP);
    expect(actual.status).toBe(404);
    expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

    const res = await preflight(server, '/items', 'GET');
    expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
  });
});

/* ================================================================ header versioning */

@Controller('reports')
class HeaderReportsController {
  // Declared (and so registered) first.
  @Get() @Version('1') @CorsPolicy(policy('ReportsV1', 31)) listV1() {
    return { route: 'reports', version: 1 };
  }
  @Get() @Version('2') @CorsPolicy(policy('ReportsV2', 32)) listV2() {
    return { route: 'reports', version: 2 };
  }
}

@Module({ imports: [CorsModule.forRoot(DEFAULTS)], controllers: [HeaderReportsController] })
class HeaderVersioningAppModule {}

describe.each(PLATFORMS)('header versioning (%s)', (platform) => {
  let app: INestApplication;
  let server: Server;
  beforeAll(async () => {
    app = await boot(
      HeaderVersioningAppModule,
      (a) => a.enableVersioning({ type: VersioningType.HEADER, header: 'x-api-version' }),
      {},
      platform,
    );
    server = app.getHttpServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['1', 'ReportsV1', 1],
    ['2', 'ReportsV2', 2],
  ] as const)('an actual request with x-api-version: %s gets the policy of that version', async (header, name, version) => {
    const actual = await request(server).get('/reports').set('Origin', APP).set('x-api-version', header);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'reports', version });
    expect(corsHeaders(actual)).toEqual(actualAnswer(name));
  });

  it('an actual request without the version header is not served: module defaults', async () => {
    const actual = await request(server).get('/reports').set('Origin', APP);
    expect(actual.status).toBe(404);
    expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));
  });

  it('a preflight cannot carry the version value: the library answers with the first-registered handler of that method (v1)', async () => {
    // A browser sends only the header's NAME in Access-Control-Request-Headers, never its value,
    // so the version a preflight is about is unknowable. lib/cors.middleware.ts findEntry (called
    // with knowsVersion = false) skips the version filter and takes the first route, in
    // registration order, that serves the requested method at that path: here listV1.
    const res = await preflight(server, '/reports', 'GET', 'x-api-version,x-reportsv1');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual({ ...preflightAnswer('ReportsV1', 31), 'access-control-allow-headers': 'X-ReportsV1' });
  });
});

/* ================================================================ the routing app: params, wildcards, RouterModule, hosts, methods */

@Controller('orgs')
class OrgsController {
  @Get(':orgId/members/:memberId')
  @CorsPolicy(policy('Member', 41))
  member(@Param('orgId') orgId: string, @Param('memberId') memberId: string) {
    return { route: 'member', orgId, memberId };
  }
}

@Controller('files')
class FilesController {
  /** Nest 12 named wildcard: at least one segment after /files/. */
  @Get('*path')
  @CorsPolicy(policy('Files', 42))
  file(@Param('path') path: string[]) {
    return { route: 'files', path };
  }
}

@Controller('docs')
class DocsController {
  /** Nest 12 wildcard in braces: Nest registers it as '/docs/{*path}' (/docs/ and below). */
  @Get('{*path}')
  @CorsPolicy(policy('Docs', 43))
  doc(@Param('path') path: string[] | undefined) {
    return { route: 'docs', path: path ?? null };
  }
}

@Controller('guides')
class GuidesController {
  /** The optional-segment form: /guides itself and anything below it. */
  @Get('{/*path}')
  @CorsPolicy(policy('Guides', 52))
  guide(@Param('path') path: string[] | undefined) {
    return { route: 'guides', path: path ?? null };
  }
}

@Controller('users')
class AdminUsersController {
  @Get() @CorsPolicy(policy('AdminUsers', 44)) list() {
    return { route: 'admin-users' };
  }
  @Patch(':id') @CorsPolicy(policy('AdminUserPatch', 45)) update(@Param('id') id: string) {
    return { route: 'admin-user-patch', id };
  }
}

@Module({ controllers: [AdminUsersController] })
class AdminModule {}

@Controller({ path: 'tenant', host: ':tenant.example.com' })
class TenantController {
  @Get() @CorsPolicy(policy('Tenant', 46)) show(@HostParam('tenant') tenant: string) {
    return { route: 'tenant', tenant };
  }
}

/** Same path, no host: serves every other host (registered after the host-bound one). */
@Controller('tenant')
class AnyHostTenantController {
  @Get() @CorsPolicy(policy('AnyHost', 47)) show() {
    return { route: 'any-host' };
  }
}

@Controller('pairs')
class PairsController {
  @Get() @CorsPolicy(policy('PairsGet', 48, { methods: ['GET'] })) list() {
    return { route: 'pairs-get' };
  }
  @Post() @CorsPolicy(policy('PairsPost', 49, { methods: ['POST'] })) create() {
    return { route: 'pairs-post' };
  }
}

@Controller('ping')
class PingController {
  @Get() @CorsPolicy(policy('PingGet', 50)) get() {
    return { route: 'ping-get' };
  }
  @Options() @CorsPolicy(policy('PingOptions', 51)) options() {
    return { route: 'ping-options' };
  }
}

@Module({
  imports: [CorsModule.forRoot(DEFAULTS), AdminModule, RouterModule.register([{ path: 'admin', module: AdminModule }])],
  controllers: [
    OrgsController,
    FilesController,
    DocsController,
    GuidesController,
    TenantController,
    AnyHostTenantController,
    PairsController,
    PingController,
  ],
})
class RoutingAppModule {}

describe('routing', () => {
  let app: INestApplication;
  let server: Server;
  beforeAll(async () => {
    app = await boot(RoutingAppModule);
    server = app.getHttpServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('a route with two parameters', () => {
    it('/orgs/:orgId/members/:memberId is answered with its policy', async () => {
      const actual = await request(server).get('/orgs/acme/members/42').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'member', orgId: 'acme', memberId: '42' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('Member'));

      const res = await preflight(server, '/orgs/acme/members/42', 'GET', 'x-member');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Member', 41));
    });

    it('a query string does not change the route', async () => {
      const actual = await request(server).get('/orgs/acme/members/42?expand=roles').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'member', orgId: 'acme', memberId: '42' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('Member'));

      const res = await preflight(server, '/orgs/acme/members/42?expand=roles', 'GET', 'x-member');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Member', 41));
    });

    it('a path missing the second parameter is not served: module defaults', async () => {
      const actual = await request(server).get('/orgs/acme/members').set('Origin', APP);
      expect(actual.status).toBe(404);
      expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

      const res = await preflight(server, '/orgs/acme/members', 'GET');
      expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
    });
  });

  describe("wildcard routes (Nest 12 '*path' and '{*path}')", () => {
    it.each(['/files/a.txt', '/files/a/b/c.txt'])("'*path': %s is answered with its policy", async (path) => {
      const actual = await request(server).get(path).set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'files', path: path.slice('/files/'.length).split('/') });
      expect(corsHeaders(actual)).toEqual(actualAnswer('Files'));

      const res = await preflight(server, path, 'GET', 'x-files');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Files', 42));
    });

    it("'*path' needs at least one segment: /files is not served (module defaults)", async () => {
      const actual = await request(server).get('/files').set('Origin', APP);
      expect(actual.status).toBe(404);
      expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

      const res = await preflight(server, '/files', 'GET');
      expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
    });

    it.each(['/docs/', '/docs/guide', '/docs/guide/intro'])("'{*path}': %s is answered with its policy", async (path) => {
      const actual = await request(server).get(path).set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toMatchObject({ route: 'docs' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('Docs'));

      const res = await preflight(server, path, 'GET', 'x-docs');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Docs', 43));
    });

    it.each(['/docs', '/docsfoo'])(
      "'{*path}' after a controller path: Nest registers '/docs/{*path}', so %s is not served (module defaults)",
      async (path) => {
        // Nest's addLeadingSlash turns '{*path}' into '/{*path}' (only '{/' is kept as is), so the route
        // is '/docs/{*path}': it serves /docs/ and below, not /docs itself and not /docsfoo.
        const actual = await request(server).get(path).set('Origin', APP);
        expect(actual.status).toBe(404);
        expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

        const res = await preflight(server, path, 'GET', 'x-defaults');
        expect(res.status).toBe(204);
        expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
      },
    );

    it.each(['/guides', '/guides/', '/guides/intro/part-1'])(
      "'{/*path}' (optional segment form): %s is answered with its policy",
      async (path) => {
        const actual = await request(server).get(path).set('Origin', APP);
        expect(actual.status).toBe(200);
        expect(actual.body).toMatchObject({ route: 'guides' });
        expect(corsHeaders(actual)).toEqual(actualAnswer('Guides'));

        const res = await preflight(server, path, 'GET', 'x-guides');
        expect(res.status).toBe(204);
        expect(corsHeaders(res)).toEqual(preflightAnswer('Guides', 52));
      },
    );

    it("'{/*path}' does not serve /guidesfoo: module defaults", async () => {
      const actual = await request(server).get('/guidesfoo').set('Origin', APP);
      expect(actual.status).toBe(404);
      expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));
      const res = await preflight(server, '/guidesfoo', 'GET', 'x-defaults');
      expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
    });
  });

  describe('a RouterModule path', () => {
    it('/admin/users (RouterModule path + controller path) is answered with its policy', async () => {
      const actual = await request(server).get('/admin/users').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'admin-users' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('AdminUsers'));

      const res = await preflight(server, '/admin/users', 'GET', 'x-adminusers');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('AdminUsers', 44));
    });

    it('PATCH /admin/users/:id is answered with its handler policy', async () => {
      const actual = await request(server).patch('/admin/users/7').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'admin-user-patch', id: '7' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('AdminUserPatch'));

      const res = await preflight(server, '/admin/users/7', 'PATCH', 'x-adminuserpatch');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('AdminUserPatch', 45));
    });

    it('/users without the RouterModule path is not served: module defaults', async () => {
      const actual = await request(server).get('/users').set('Origin', APP);
      expect(actual.status).toBe(404);
      expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));

      const res = await preflight(server, '/users/7', 'PATCH');
      expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
    });
  });

  describe("a host-bound controller (host ':tenant.example.com')", () => {
    it('a request for acme.example.com is answered with the host-bound policy', async () => {
      const actual = await request(server).get('/tenant').set('Host', 'acme.example.com').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'tenant', tenant: 'acme' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('Tenant'));

      const res = await preflight(server, '/tenant', 'GET', 'x-tenant', 'acme.example.com');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Tenant', 46));
    });

    it('a Host header with a port still selects the host-bound controller', async () => {
      const actual = await request(server).get('/tenant').set('Host', 'acme.example.com:8443').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'tenant', tenant: 'acme' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('Tenant'));

      const res = await preflight(server, '/tenant', 'GET', 'x-tenant', 'acme.example.com:8443');
      expect(corsHeaders(res)).toEqual(preflightAnswer('Tenant', 46));
    });

    it('another host falls through to the controller without a host', async () => {
      const actual = await request(server).get('/tenant').set('Host', 'api.other.org').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'any-host' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('AnyHost'));

      const res = await preflight(server, '/tenant', 'GET', 'x-anyhost', 'api.other.org');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('AnyHost', 47));
    });

    it('the apex example.com does not match :tenant.example.com', async () => {
      const actual = await request(server).get('/tenant').set('Host', 'example.com').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'any-host' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('AnyHost'));

      const res = await preflight(server, '/tenant', 'GET', undefined, 'example.com');
      expect(corsHeaders(res)).toEqual(preflightAnswer('AnyHost', 47));
    });
  });

  describe('two handlers on one path with different methods and policies', () => {
    it('a preflight for POST gets the POST handler policy, and varies on Access-Control-Request-Method', async () => {
      const res = await preflight(server, '/pairs', 'POST', 'x-pairspost');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('PairsPost', 49, 'POST'));
      expect(varyOf(res)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method']));

      const actual = await request(server).post('/pairs').set('Origin', APP);
      expect(actual.status).toBe(201);
      expect(actual.body).toEqual({ route: 'pairs-post' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('PairsPost'));
    });

    it('a preflight for GET (sent because of a custom header) gets the GET handler policy, and varies on Access-Control-Request-Method', async () => {
      const res = await preflight(server, '/pairs', 'GET', 'x-pairsget');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('PairsGet', 48, 'GET'));
      expect(varyOf(res)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method']));

      const actual = await request(server).get('/pairs').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'pairs-get' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('PairsGet'));
    });

    it('a preflight for HEAD is answered like GET', async () => {
      const res = await preflight(server, '/pairs', 'HEAD', 'x-pairsget');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('PairsGet', 48, 'GET'));
    });

    it('a preflight for a method no handler serves there (DELETE) gets the module defaults, and still varies on the method', async () => {
      const res = await preflight(server, '/pairs', 'DELETE', 'x-defaults');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));
      expect(varyOf(res)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method']));
    });
  });

  describe('an unknown path', () => {
    it('gets the module defaults, for the preflight and for the actual 404', async () => {
      const res = await preflight(server, '/no/such/route', 'PATCH', 'x-defaults');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('Defaults', 1));

      const actual = await request(server).patch('/no/such/route').set('Origin', APP);
      expect(actual.status).toBe(404);
      expect(corsHeaders(actual)).toEqual(actualAnswer('Defaults'));
      expect(varyOf(actual)).toContain('origin');
    });
  });

  describe('an OPTIONS request that is not a preflight', () => {
    it('without Access-Control-Request-Method and no @Options handler: no preflight headers, reaches routing (404)', async () => {
      const res = await request(server).options('/pairs').set('Origin', APP);
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
      expect(res.headers['access-control-allow-headers']).toBeUndefined();
      expect(res.headers['access-control-max-age']).toBeUndefined();
      // Treated as an actual request that no handler serves: the module defaults.
      expect(corsHeaders(res)).toEqual(actualAnswer('Defaults'));
    });

    it('without Access-Control-Request-Method and an @Options handler: the handler answers, with its policy as an actual request', async () => {
      const res = await request(server).options('/ping').set('Origin', APP);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ route: 'ping-options' });
      expect(corsHeaders(res)).toEqual(actualAnswer('PingOptions'));
    });

    it('with Access-Control-Request-Method but no Origin: not a preflight either, reaches the @Options handler', async () => {
      const res = await request(server).options('/ping').set('Access-Control-Request-Method', 'GET');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ route: 'ping-options' });
      expect(corsHeaders(res)).toEqual({});
    });

    it('a real preflight to the same path is answered by the library with the GET handler policy, not by the @Options handler', async () => {
      const res = await preflight(server, '/ping', 'GET', 'x-pingget');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(corsHeaders(res)).toEqual(preflightAnswer('PingGet', 50));

      const actual = await request(server).get('/ping').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'ping-get' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('PingGet'));
    });
  });
});

/* ================================================================ everything composed: prefix, URI version, RouterModule path */

@Controller('reports')
class ComposedReportsController {
  @Get(':year') @Version('3') @CorsPolicy(policy('Composed', 61)) show(@Param('year') year: string) {
    return { route: 'composed', year };
  }
}

@Module({ controllers: [ComposedReportsController] })
class ComposedFeatureModule {}

@Module({
  imports: [
    CorsModule.forRoot(DEFAULTS),
    ComposedFeatureModule,
    RouterModule.register([{ path: 'billing', module: ComposedFeatureModule }]),
  ],
  controllers: [HealthController],
})
class ComposedAppModule {}

describe.each(PLATFORMS)('global prefix + URI version + RouterModule path, composed (%s)', (platform) => {
  let app: INestApplication;
  let server: Server;
  beforeAll(async () => {
    app = await boot(
      ComposedAppModule,
      (a) => {
        a.setGlobalPrefix('api', { exclude: ['health'] });
        a.enableVersioning({ type: VersioningType.URI });
      },
      {},
      platform,
    );
    server = app.getHttpServer();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('/api/v3/billing/reports/:year is answered with its policy', async () => {
    const actual = await request(server).get('/api/v3/billing/reports/2024').set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(actual.body).toEqual({ route: 'composed', year: '2024' });
    expect(corsHeaders(actual)).toEqual(actualAnswer('Composed'));

    const res = await preflight(server, '/api/v3/billing/reports/2024', 'GET', 'x-composed');
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual(preflightAnswer('Composed', 61));
  });

  it('the excluded /health is still served outside the prefix', async () => {
    const actual = await request(server).get('/health').set('Origin', APP);
    expect(actual.status).toBe(200);
    expect(corsHeaders(actual)).toEqual(actualAnswer('Health'));
    const res = await preflight(server, '/health', 'GET');
    expect(corsHeaders(res)).toEqual(preflightAnswer('Health', 11));
  });
});

/* ================================================================ which of two matching routes Nest runs */

@Controller('members')
class MembersController {
  // Declared first: a parameter that also matches /members/me.
  @Get(':id') @CorsPolicy(policy('MemberById', 71)) byId(@Param('id') id: string) {
    return { route: 'member-by-id', id };
  }
  @Get('me') @CorsPolicy(policy('MemberMe', 72)) me() {
    return { route: 'member-me' };
  }
}

@Module({ imports: [CorsModule.forRoot(DEFAULTS)], controllers: [MembersController] })
class OverlapAppModule {}

describe('overlapping routes: the policy of the handler Nest really runs', () => {
  describe("routeResolutionStrategy 'declaration' (the default): the first declared route wins", () => {
    let app: INestApplication;
    let server: Server;
    beforeAll(async () => {
      app = await boot(OverlapAppModule);
      server = app.getHttpServer();
    });
    afterAll(async () => {
      await app?.close();
    });

    it('/members/me is served by :id, declared first', async () => {
      const actual = await request(server).get('/members/me').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'member-by-id', id: 'me' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('MemberById'));

      const res = await preflight(server, '/members/me', 'GET', 'x-memberbyid');
      expect(corsHeaders(res)).toEqual(preflightAnswer('MemberById', 71));
    });
  });

  describe("routeResolutionStrategy 'specificity' (Nest 12): literal segments are registered before parameters", () => {
    let app: INestApplication;
    let server: Server;
    beforeAll(async () => {
      app = await boot(OverlapAppModule, undefined, { routeResolutionStrategy: 'specificity' });
      server = app.getHttpServer();
    });
    afterAll(async () => {
      await app?.close();
    });

    it('/members/me is served by the literal route me, so its policy answers', async () => {
      const actual = await request(server).get('/members/me').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'member-me' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('MemberMe'));

      const res = await preflight(server, '/members/me', 'GET', 'x-memberme');
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual(preflightAnswer('MemberMe', 72));
    });

    it('/members/42 is still served by :id', async () => {
      const actual = await request(server).get('/members/42').set('Origin', APP);
      expect(actual.status).toBe(200);
      expect(actual.body).toEqual({ route: 'member-by-id', id: '42' });
      expect(corsHeaders(actual)).toEqual(actualAnswer('MemberById'));

      const res = await preflight(server, '/members/42', 'GET', 'x-memberbyid');
      expect(corsHeaders(res)).toEqual(preflightAnswer('MemberById', 71));
    });
  });
});
