/**
 * BRIEF §7: `paths` gives CORS to what no controller serves, with the real parts users run
 * it with: Apollo GraphQL, Swagger UI and its JSON, static files, a raw `app.use()` handler
 * (an auth library), and an internal path with CORS off. Controller routes keep their own
 * policy; otherwise the first matching pattern; otherwise the defaults.
 *
 * The production app runs on both platforms (issue 15), built the same way in `main.ts` style:
 * on Express with `@as-integrations/express5` and `serve-static`; on Fastify, Apollo through
 * `@as-integrations/fastify` (a Fastify route for GET, POST and OPTIONS), Swagger's routes plus
 * its UI assets through `@fastify/static`, and `useStaticAssets` through `@fastify/static` too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Controller, Get, Module, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CorsModule, CorsPolicyMap, corsCsrfExclusion, type CorsModuleOptions } from '../lib/index.js';
import { PLATFORMS, type Platform } from './support/apps.js';
import { corsHeaders, varyOf } from './support/headers.js';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const LOGIN = 'https://login.example.com';
const REPORTS = 'https://reports.example.com';
const EVIL = 'https://evil.example.net';

const OPTIONS: CorsModuleOptions = {
  origin: [APP],
  credentials: true,
  policies: { partners: { origin: [PARTNER], credentials: true, allowedHeaders: ['Content-Type', 'Authorization'], maxAge: 600 } },
  paths: {
    '/graphql': 'partners',
    '/docs/{*rest}': { origin: '*', credentials: false },
    '/docs-json': { origin: '*', credentials: false },
    '/static/{*file}': { origin: '*', credentials: false, maxAge: 86400 },
    '/auth{/*rest}': { origin: [LOGIN], methods: ['GET', 'POST'] },
    '/internal/{*rest}': false,
    // Overlapping: the first declared wins, so public files are open and the rest is closed.
    '/files/public/{*rest}': { origin: '*', credentials: false },
    '/files/{*rest}': false,
    // Covers a controller route: the route keeps its own policy.
    '/api/reports/{*rest}': { origin: [REPORTS] },
  },
};

@Controller('reports')
class ReportsController {
  @Get('daily') daily() {
    return { report: 'daily' };
  }
}

const graphql = () =>
  GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    typeDefs: 'type Query { hello: String }',
    resolvers: { Query: { hello: () => 'world' } },
  });

function appModule(options: CorsModuleOptions = OPTIONS): Type {
  @Module({ imports: [CorsModule.forRoot(options), graphql()], controllers: [ReportsController] })
  class AppModule {}
  return AppModule;
}

/** A raw handler, as an auth library or a metrics endpoint mounts with `app.use()`. */
function rawHandler(name: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ handler: name, method: req.method, url: req.url }));
  };
}

/** A directory with one file, for `useStaticAssets`. */
function staticAssets(): string {
  const assets = mkdtempSync(join(tmpdir(), 'cors-static-'));
  writeFileSync(join(assets, 'logo.txt'), 'logo');
  return assets;
}

/**
 * What users write in `main.ts`, with every kind of path that no controller serves, on either
 * platform. Only the app's creation and `useStaticAssets` (whose options differ: serve-static's
 * on Express, `@fastify/static`'s on Fastify) depend on it.
 */
async function productionApp(
  options: CorsModuleOptions = OPTIONS,
  setup: (app: INestApplication) => void = () => undefined,
  platform: Platform = 'express',
): Promise<{ app: INestApplication; url: string }> {
  const module = appModule(options);
  let app: INestApplication;
  if (platform === 'fastify') {
    const fastify = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
    fastify.useStaticAssets({ root: staticAssets(), prefix: '/static/' });
    app = fastify;
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, { logger: false });
    express.useStaticAssets(staticAssets(), { prefix: '/static' });
    app = express;
  }
  app.setGlobalPrefix('api', { exclude: ['graphql'] });
  app.use('/auth', rawHandler('auth'));
  app.use('/internal', rawHandler('internal'));
  app.use('/files', rawHandler('files'));
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('API').build()));
  setup(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

const QUERY = JSON.stringify({ query: '{ hello }' });

describe.each(PLATFORMS)('paths, in a NestFactory.create app on %s with GraphQL, Swagger, static files, app.use()', (platform) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => ({ app, url } = await productionApp(OPTIONS, undefined, platform)));
  afterAll(() => app.close());

  it('runs on the platform it says', () => {
    expect(app.getHttpAdapter().getType()).toBe(platform);
  });

  describe("'/graphql': a named policy, credentialed (Apollo)", () => {
    it('answers the preflight of a JSON POST with the named policy', async () => {
      const response = await request(url)
        .options('/graphql')
        .set('Origin', PARTNER)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type')
        .expect(204);
      expect(corsHeaders(response)).toEqual({
        'access-control-allow-origin': PARTNER,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
        'access-control-allow-headers': 'Content-Type,Authorization',
        'access-control-max-age': '600',
      });
      expect(varyOf(response)).toContain('origin');
    });

    it("lets the partner read Apollo's answer, with credentials", async () => {
      const response = await request(url)
        .post('/graphql')
        .set('Origin', PARTNER)
        .set('Cookie', 'session=abc')
        .set('Content-Type', 'application/json')
        .send(QUERY)
        .expect(200);
      expect(response.body).toEqual({ data: { hello: 'world' } });
      expect(corsHeaders(response)).toEqual({ 'access-control-allow-origin': PARTNER, 'access-control-allow-credentials': 'true' });
      expect(varyOf(response)).toContain('origin');
    });

    it('refuses the origins of the module defaults there, and any other origin', async () => {
      for (const origin of [APP, EVIL]) {
        const preflight = await request(url).options('/graphql').set('Origin', origin).set('Access-Control-Request-Method', 'POST');
        expect(corsHeaders(preflight)).toEqual({});
        const post = await request(url).post('/graphql').set('Origin', origin).set('Content-Type', 'application/json').send(QUERY);
        expect(post.status).toBe(200);
        expect(corsHeaders(post)).toEqual({});
        expect(varyOf(post)).toContain('origin');
      }
    });
  });

  describe("'/docs/{*rest}' and '/docs-json': Swagger open to '*'", () => {
    // The UI page, Swagger's init script, a UI asset (serve-static on Express, @fastify/static on Fastify), the document.
    it.each(['/docs/', '/docs/swagger-ui-init.js', '/docs/swagger-ui.css', '/docs-json'])(
      '%s is readable from any origin, without credentials',
      async (path) => {
        const response = await request(url).get(path).set('Origin', EVIL).expect(200);
        expect(corsHeaders(response)).toEqual({ 'access-control-allow-origin': '*' });
      },
    );

    it('answers the preflight of the document, a GET-only route', async () => {
      const preflight = await request(url)
        .options('/docs-json')
        .set('Origin', EVIL)
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('*');
    });

    it('the document lists the controller route, under the global prefix', async () => {
      const response = await request(url).get('/docs-json').expect(200);
      expect(Object.keys((response.body as { paths: object }).paths)).toEqual(['/api/reports/daily']);
    });
  });

  describe("'/static/{*file}': files of useStaticAssets", () => {
    it('serves the file to any origin, and answers preflights with its maxAge', async () => {
      const file = await request(url).get('/static/logo.txt').set('Origin', EVIL).expect(200);
      expect(file.text).toBe('logo');
      expect(corsHeaders(file)).toEqual({ 'access-control-allow-origin': '*' });
      // No OPTIONS route serves the file (on Fastify: a 404 of the router); the middleware answers first.
      const preflight = await request(url)
        .options('/static/logo.txt')
        .set('Origin', EVIL)
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(preflight.headers['access-control-max-age']).toBe('86400');
    });

    it('a missing file is answered with the pattern too', async () => {
      const missing = await request(url).get('/static/missing.txt').set('Origin', EVIL).expect(404);
      expect(corsHeaders(missing)).toEqual({ 'access-control-allow-origin': '*' });
    });

    it(`matches as ${platform} routes: ${platform === 'fastify' ? 'case-sensitive' : 'case-insensitive'}`, async () => {
      const response = await request(url).get('/STATIC/logo.txt').set('Origin', EVIL);
      if (platform === 'fastify') {
        // Fastify serves no /STATIC: a 404, with the module defaults, which refuse the origin.
        expect(response.status).toBe(404);
        expect(corsHeaders(response)).toEqual({});
      } else {
        expect(response.status).toBe(200);
        expect(corsHeaders(response)).toEqual({ 'access-control-allow-origin': '*' });
      }
    });
  });

  describe("'/auth{/*rest}': a raw app.use() handler with its own origins", () => {
    it('allows its origin, with the credentials of the module defaults it merges over', async () => {
      const response = await request(url).post('/auth/sign-in').set('Origin', LOGIN).expect(200);
      expect(response.body).toEqual({ handler: 'auth', method: 'POST', url: '/sign-in' });
      expect(corsHeaders(response)).toEqual({ 'access-control-allow-origin': LOGIN, 'access-control-allow-credentials': 'true' });
      for (const path of ['/auth', '/auth/sign-in']) {
        const preflight = await request(url).options(path).set('Origin', LOGIN).set('Access-Control-Request-Method', 'POST').expect(204);
        expect(preflight.headers['access-control-allow-methods']).toBe('GET,POST');
      }
    });

    it('refuses the origins of the module defaults', async () => {
      const response = await request(url).post('/auth/sign-in').set('Origin', APP).expect(200);
      expect(corsHeaders(response)).toEqual({});
    });
  });

  describe("'/internal/{*rest}': false", () => {
    it('sends no CORS header at all, and passes preflights on to the app', async () => {
      const response = await request(url).get('/internal/metrics').set('Origin', APP).expect(200);
      expect(corsHeaders(response)).toEqual({});
      expect(varyOf(response)).toEqual([]);
      const preflight = await request(url).options('/internal/metrics').set('Origin', APP).set('Access-Control-Request-Method', 'GET');
      expect(corsHeaders(preflight)).toEqual({});
    });
  });

  describe('precedence', () => {
    it('two overlapping patterns: the first declared wins', async () => {
      const open = await request(url).get('/files/public/a.png').set('Origin', EVIL).expect(200);
      expect(corsHeaders(open)).toEqual({ 'access-control-allow-origin': '*' });
      const closed = await request(url).get('/files/private/a.png').set('Origin', APP).expect(200);
      expect(corsHeaders(closed)).toEqual({});
    });

    it("a pattern covering a controller route does not change that route's policy", async () => {
      const ours = await request(url).get('/api/reports/daily').set('Origin', APP).expect(200);
      expect(corsHeaders(ours)).toEqual({ 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true' });
      const theirs = await request(url).get('/api/reports/daily').set('Origin', REPORTS).expect(200);
      expect(corsHeaders(theirs)).toEqual({});
    });

    it('the methods no handler serves there, and the paths under it no route serves, get the pattern', async () => {
      const put = await request(url).options('/api/reports/daily').set('Origin', REPORTS).set('Access-Control-Request-Method', 'PUT');
      expect(put.headers['access-control-allow-origin']).toBe(REPORTS);
      const unknown = await request(url).get('/api/reports/weekly').set('Origin', REPORTS).expect(404);
      expect(unknown.headers['access-control-allow-origin']).toBe(REPORTS);
    });

    it('preflights at that path vary on Access-Control-Request-Method, since the answer depends on it', async () => {
      const get = await request(url)
        .options('/api/reports/daily')
        .set('Origin', APP)
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(get.headers['access-control-allow-origin']).toBe(APP);
      expect(varyOf(get)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method']));
      const put = await request(url).options('/api/reports/daily').set('Origin', APP).set('Access-Control-Request-Method', 'PUT');
      expect(put.headers['access-control-allow-origin']).toBeUndefined();
      expect(varyOf(put)).toEqual(expect.arrayContaining(['origin', 'access-control-request-method']));
    });

    it('paths no pattern covers get the module defaults', async () => {
      const response = await request(url).get('/nowhere').set('Origin', APP).expect(404);
      expect(corsHeaders(response)).toEqual({ 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true' });
    });
  });

  describe('CorsPolicyMap', () => {
    it('lists each pattern as a row without a handler, after the routes, in declaration order', () => {
      const rows = app.get(CorsPolicyMap).list();
      const pathRows = rows.filter((row) => row.handler === undefined);
      expect(pathRows.map((row) => [row.method, row.path])).toEqual(Object.keys(OPTIONS.paths!).map((pattern) => ['ALL', pattern]));
      const graphqlRow = pathRows[0];
      expect(graphqlRow.fields?.origin).toEqual({ value: [PARTNER], source: 'CorsModule.forRoot policies.partners' });
      const internal = pathRows.find((row) => row.path === '/internal/{*rest}');
      expect(internal).toMatchObject({ enabled: false, disabledBy: "CorsModule.forRoot paths['/internal/{*rest}']" });
      const auth = pathRows.find((row) => row.path === '/auth{/*rest}');
      expect(auth?.fields?.origin.source).toBe("CorsModule.forRoot paths['/auth{/*rest}']");
      expect(auth?.fields?.credentials.source).toBe('CorsModule.forRoot (module defaults)');
    });

    it('says which policy applies to a controller route a pattern covers', () => {
      const route = app
        .get(CorsPolicyMap)
        .list()
        .find((row) => row.handler === 'ReportsController.daily');
      expect(route).toMatchObject({ method: 'GET', path: '/api/reports/daily', coveredByPath: '/api/reports/{*rest}' });
      expect(route?.fields?.origin.source).toBe('CorsModule.forRoot (module defaults)');
      const table = app.get(CorsPolicyMap).toTable();
      expect(table).toContain("ReportsController.daily (over paths['/api/reports/{*rest}'])");
      // Its WebSocket upgrades (GraphQL subscriptions) are judged with the same policy (issue 25).
      expect(
        app
          .get(CorsPolicyMap)
          .list()
          .find((row) => row.path === '/graphql' && row.handler === undefined),
      ).toMatchObject({ upgrades: true });
      expect(table).toMatch(
        /ALL\s+\|\s+\/graphql\s+\|\s+paths\['\/graphql'\] \(also WebSocket upgrades\)\s+\|\s+https:\/\/partner\.example\.com \[CorsModule\.forRoot policies\.partners\]/,
      );
    });
  });
});

describe('paths in a Test.createTestingModule app (GraphQL and an unknown path)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [appModule()] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });
  afterAll(() => app.close());

  it('answers /graphql with the named policy, preflight and POST', async () => {
    const preflight = await request(app.getHttpServer())
      .options('/graphql')
      .set('Origin', PARTNER)
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(PARTNER);
    const post = await request(app.getHttpServer())
      .post('/graphql')
      .set('Origin', PARTNER)
      .set('Content-Type', 'application/json')
      .send(QUERY)
      .expect(200);
    expect(corsHeaders(post)).toEqual({ 'access-control-allow-origin': PARTNER, 'access-control-allow-credentials': 'true' });
    const refused = await request(app.getHttpServer())
      .post('/graphql')
      .set('Origin', APP)
      .set('Content-Type', 'application/json')
      .send(QUERY);
    expect(corsHeaders(refused)).toEqual({});
  });

  it('gives a path only a pattern covers its policy, and the rest the defaults', async () => {
    const docs = await request(app.getHttpServer()).get('/docs/nothing-here').set('Origin', EVIL).expect(404);
    expect(corsHeaders(docs)).toEqual({ 'access-control-allow-origin': '*' });
    const other = await request(app.getHttpServer()).get('/elsewhere').set('Origin', APP).expect(404);
    expect(other.headers['access-control-allow-origin']).toBe(APP);
  });
});

describe.each(PLATFORMS)('strict mode follows path policies (%s)', (platform) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => ({ app, url } = await productionApp({ ...OPTIONS, strict: { appOrigins: [] } }, undefined, platform)));
  afterAll(() => app.close());

  it("refuses, before the handler runs, an origin the path's policy refuses", async () => {
    const refused = await request(url).post('/auth/sign-in').set('Origin', APP).expect(403);
    expect(refused.body).not.toHaveProperty('handler');
    const allowed = await request(url).post('/auth/sign-in').set('Origin', LOGIN).expect(200);
    expect(allowed.body).toMatchObject({ handler: 'auth' });
  });

  it('leaves paths with CORS off alone', async () => {
    const response = await request(url).post('/internal/jobs').set('Origin', EVIL).expect(200);
    expect(response.body).toMatchObject({ handler: 'internal' });
  });
});

describe("corsCsrfExclusion() trusts exactly what each path's policy allows", () => {
  const post = (target: string, path: string, origin: string) =>
    request(target).post(path).set('Origin', origin).set('Content-Type', 'application/json').send(QUERY);

  describe('in a NestFactory.create app (the CORS middleware runs first and hands over its verdict)', () => {
    let app: INestApplication;
    let url: string;
    beforeAll(
      async () =>
        ({ app, url } = await productionApp(OPTIONS, (created) => created.enableCsrfProtection({ exclude: corsCsrfExclusion(created) }))),
    );
    afterAll(() => app.close());

    it.each([
      ['/graphql', PARTNER, 200],
      ['/graphql', APP, 403],
      // Handlers mounted with app.use() before the CSRF check runs are not behind it (Nest installs it at init).
      ['/docs/anything', EVIL, 404],
      ['/api/reports/weekly', REPORTS, 404],
      ['/api/reports/weekly', APP, 403],
    ])('POST %s from %s: %d', async (path, origin, status) => {
      await post(url, path, origin).expect(status);
    });
  });

  describe('in a Test.createTestingModule app (the verdict is computed synchronously)', () => {
    let app: INestApplication;
    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [appModule()] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      app.enableCsrfProtection({ exclude: corsCsrfExclusion(app) });
      await app.init();
    });
    afterAll(() => app.close());

    it.each([
      ['/graphql', PARTNER, 200],
      ['/graphql', APP, 403],
      ['/docs/anything', EVIL, 404],
      ['/internal/jobs', APP, 403],
    ])('POST %s from %s: %d', async (path, origin, status) => {
      await post(app.getHttpServer(), path, origin).expect(status);
    });
  });
});

describe('debug explains refusals on a path policy', () => {
  const warnings: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (message: unknown) => void warnings.push(String(message)),
  };
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [appModule({ ...OPTIONS, debug: true })] }).compile();
    app = await moduleRef.createNestApplication({ logger }).init();
  });
  afterAll(() => app.close());

  it('names the request and the pattern whose policy refused it', async () => {
    await request(app.getHttpServer()).post('/graphql').set('Origin', EVIL).set('Content-Type', 'application/json').send(QUERY);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^Refused POST \/graphql for origin "https:\/\/evil\.example\.net": origin not trusted\./),
    );
    expect(warnings.find((warning) => warning.startsWith('Refused POST /graphql'))).toContain(
      "Policy: CorsModule.forRoot paths['/graphql']",
    );
  });
});
