import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request, { type Response } from 'supertest';
import { CorsOriginCache } from '../lib/index.js';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser } from '../lib/testing/index.js';
import { createSampleApp } from '../sample/app.js';
import { OriginsRepository } from '../sample/origins/origins.repository.js';
import { resolveSampleConfig, type SamplePlatform } from '../sample/sample-config.js';
import { PLATFORMS, whenReady } from './support/apps.js';
import { pgliteDatabase, postgresDatabase, uniqueTable, type SampleDatabase } from './support/sample-databases.js';

const TOKEN = 'test-admin-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const SEEDED = 'https://partner.example.com';
const STATIC_RULE = 'https://app.example.com';
/** A fresh PGlite folder runs initdb (10 s and more on a busy machine). */
const STARTUP_TIMEOUT_MS = 120_000;

function corsHeaders(res: Response): string[] {
  return Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));
}

function expectAllowed(res: Response, origin: string): void {
  expect(res.headers['access-control-allow-origin']).toBe(origin);
  expect(res.headers['access-control-allow-credentials']).toBe('true');
  expect(res.headers.vary).toMatch(/\bOrigin\b/);
}

function expectRefused(res: Response): void {
  expect(res.status).toBe(200); // CORS protects reads: the handler still runs
  expect(corsHeaders(res)).toEqual([]);
  expect(res.headers.vary).toMatch(/\bOrigin\b/);
}

async function startApp(
  database: SampleDatabase,
  label: string,
  env: NodeJS.ProcessEnv = {},
  platform: SamplePlatform = 'express',
): Promise<INestApplication> {
  // `env` replaces process.env, so a DATABASE_URL or ADMIN_TOKEN of the machine does not leak in.
  const { app } = await createSampleApp({
    ...database.appOptions(uniqueTable(`${label}_${platform}`)),
    adminToken: TOKEN,
    logger: false,
    env,
    platform,
  });
  return whenReady(await app.init());
}

const databases: SampleDatabase[] = [pgliteDatabase()];
const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl) {
  databases.push(postgresDatabase(postgresUrl));
} else if (process.env.CI === 'true') {
  describe('sample app on PostgreSQL', () => {
    it('has a server to run on', () => {
      throw new Error('TEST_DATABASE_URL is not set; CI must run the sample suite against PostgreSQL (.ci/run starts a server)');
    });
  });
} else {
  console.warn(
    'Sample suite on PostgreSQL skipped: TEST_DATABASE_URL is not set (`source .ci/postgres.sh && start_test_postgres` sets it).',
  );
  describe.skip('sample app on PostgreSQL (skipped: TEST_DATABASE_URL is not set)', () => {
    it('runs the sample suite', () => undefined);
  });
}

describe.each(databases)('sample app on $name', (database) => {
  afterAll(() => database.cleanUp());
  describe.each(PLATFORMS)('on %s', (platform) => {
    describe('with the default cache TTL (60 s)', () => {
      let app: INestApplication;
      let server: ReturnType<INestApplication['getHttpServer']>;
      let repository: OriginsRepository;

      beforeAll(async () => {
        app = await startApp(database, 'main', {}, platform);
        server = app.getHttpServer();
        repository = app.get(OriginsRepository);
      }, STARTUP_TIMEOUT_MS);
      afterAll(() => app?.close());

      describe('GET /catalogue', () => {
        it('is readable by any origin, without credentials', async () => {
          const res = await request(server).get('/catalogue').set('Origin', 'https://anyone.example.net').expect(200);
          expect(res.headers['access-control-allow-origin']).toBe('*');
          expect(res.headers['access-control-allow-credentials']).toBeUndefined();
          expect(Array.isArray(res.body)).toBe(true);
        });
      });

      describe('GET /partners/orders', () => {
        it('allows a seeded origin, with credentials', async () => {
          const res = await request(server).get('/partners/orders').set('Origin', SEEDED).expect(200);
          expectAllowed(res, SEEDED);
          expect(Array.isArray(res.body)).toBe(true);
        });

        it('refuses an unknown origin: no Access-Control-Allow-* header, Vary: Origin', async () => {
          expectRefused(await request(server).get('/partners/orders').set('Origin', 'https://unknown.example.net'));
        });

        it('refuses look-alikes of a seeded origin', async () => {
          for (const origin of ['https://partner.example.com.evil.net', 'https://PARTNER.example.com', 'http://partner.example.com']) {
            expectRefused(await request(server).get('/partners/orders').set('Origin', origin));
          }
        });

        it('allows the static rule https://app.example.com without querying the database', async () => {
          const exists = jest.spyOn(repository, 'exists');
          const list = jest.spyOn(repository, 'list');
          try {
            const res = await request(server).get('/partners/orders').set('Origin', STATIC_RULE).expect(200);
            expectAllowed(res, STATIC_RULE);
            expect(exists).not.toHaveBeenCalled();
            expect(list).not.toHaveBeenCalled();
          } finally {
            exists.mockRestore();
            list.mockRestore();
          }
        });

        it('answers a seeded origin and refuses unknown ones without querying the database (the table is loaded whole)', async () => {
          const exists = jest.spyOn(repository, 'exists');
          const list = jest.spyOn(repository, 'list');
          try {
            expectAllowed(await request(server).get('/partners/orders').set('Origin', SEEDED), SEEDED);
            for (let index = 0; index < 20; index++) {
              expectRefused(await request(server).get('/partners/orders').set('Origin', `https://unknown-${index}.example.net`));
            }
            expect(exists).not.toHaveBeenCalled();
            expect(list).not.toHaveBeenCalled();
          } finally {
            exists.mockRestore();
            list.mockRestore();
          }
        });

        it('answers the preflight of a seeded origin', async () => {
          const res = await request(server)
            .options('/partners/orders')
            .set({ Origin: SEEDED, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-request-id' })
            .expect(204);
          expectAllowed(res, SEEDED);
        });

        it('allows an origin added through the admin API on the next request', async () => {
          const origin = 'https://added.partner-a.example';
          expectRefused(await request(server).get('/partners/orders').set('Origin', origin)); // the refusal is now cached
          await request(server).post('/admin/origins').set(AUTH).send({ origin }).expect(201);
          expectAllowed(await request(server).get('/partners/orders').set('Origin', origin), origin);
        });

        it('refuses an origin removed through the admin API on the next request', async () => {
          const origin = 'https://removed.partner-b.example';
          await request(server).post('/admin/origins').set(AUTH).send({ origin }).expect(201);
          expectAllowed(await request(server).get('/partners/orders').set('Origin', origin), origin); // cached as allowed
          await request(server)
            .delete(`/admin/origins/${encodeURIComponent(origin)}`)
            .set(AUTH)
            .expect(204);
          expectRefused(await request(server).get('/partners/orders').set('Origin', origin));
        });
      });

      describe('admin API', () => {
        it.each([
          ['no Authorization header', {}],
          ['a wrong token', { Authorization: 'Bearer wrong-token' }],
          ['a wrong token of the same length', { Authorization: `Bearer ${'x'.repeat(TOKEN.length)}` }],
          ['another scheme', { Authorization: `Basic ${TOKEN}` }],
          ['an empty bearer', { Authorization: 'Bearer ' }],
        ])('answers 401 to %s', async (_case, headers) => {
          await request(server).get('/admin/origins').set(headers).expect(401);
        });

        it('does not add an origin without the token', async () => {
          const origin = 'https://sneaky.example.net';
          await request(server).post('/admin/origins').send({ origin }).expect(401);
          expect(await repository.exists(origin)).toBe(false);
        });

        it('lists the origins as { origin } objects', async () => {
          const res = await request(server).get('/admin/origins').set(AUTH).expect(200);
          expect(res.body).toEqual(expect.arrayContaining([{ origin: SEEDED }]));
          for (const item of res.body as unknown[]) expect(Object.keys(item as object)).toEqual(['origin']);
        });

        it.each([
          ['https://a.com/', /trailing slash/],
          ['not an origin', /scheme|origin/],
          ['https://a.com/path', /path/],
          ['HTTPS://A.COM', /https:\/\/a\.com/],
          ['https://a.com:443', /default port/],
          ['https://user@a.com', /userinfo/],
          ['https://*.a.com', /wildcard/],
          ['null', /null/],
          ['', /non-empty string/],
          [42, /string/],
        ])('answers 400 with the reason to %j', async (origin, reason) => {
          const res = await request(server).post('/admin/origins').set(AUTH).send({ origin }).expect(400);
          expect(res.body.message).toMatch(reason);
        });

        it('answers 400 to a body without an origin', async () => {
          await request(server).post('/admin/origins').set(AUTH).send({}).expect(400);
        });

        it('answers 201 when an origin is added, then 200 when it is already there', async () => {
          const origin = 'https://twice.partner-c.example:8443';
          await request(server).post('/admin/origins').set(AUTH).send({ origin }).expect(201);
          await request(server).post('/admin/origins').set(AUTH).send({ origin }).expect(200);
          const list = await request(server).get('/admin/origins').set(AUTH).expect(200);
          expect((list.body as Array<{ origin: string }>).filter((item) => item.origin === origin)).toHaveLength(1);
        });

        it('answers 204 when an origin is deleted, then 404', async () => {
          const origin = 'https://deleted.partner-d.example';
          await repository.add(origin);
          await request(server)
            .delete(`/admin/origins/${encodeURIComponent(origin)}`)
            .set(AUTH)
            .expect(204);
          await request(server)
            .delete(`/admin/origins/${encodeURIComponent(origin)}`)
            .set(AUTH)
            .expect(404);
          expect(await repository.exists(origin)).toBe(false);
        });

        it('sends no CORS header, even to a trusted origin, on success or error', async () => {
          for (const origin of [SEEDED, STATIC_RULE]) {
            const ok = await request(server).get('/admin/origins').set(AUTH).set('Origin', origin).expect(200);
            expect(corsHeaders(ok)).toEqual([]);
            const refused = await request(server).get('/admin/origins').set('Origin', origin).expect(401);
            expect(corsHeaders(refused)).toEqual([]);
          }
        });

        it('does not answer preflights with CORS headers', async () => {
          for (const [path, method] of [
            ['/admin/origins', 'POST'],
            ['/admin/origins', 'GET'],
            [`/admin/origins/${encodeURIComponent(SEEDED)}`, 'DELETE'],
          ]) {
            const res = await request(server).options(path).set({
              Origin: SEEDED,
              'Access-Control-Request-Method': method,
              'Access-Control-Request-Headers': 'authorization, content-type',
            });
            expect(corsHeaders(res)).toEqual([]);
          }
        });

        it('GET /admin/cors-policies lists every route with its effective policy', async () => {
          const res = await request(server).get('/admin/cors-policies').set(AUTH).expect(200);
          const byRoute = Object.fromEntries(
            res.body.map((entry: { method: string; path: string }) => [`${entry.method} ${entry.path}`, entry]),
          );
          expect(byRoute['GET /catalogue'].fields.origin).toEqual({ value: ['*'], source: expect.stringContaining('CatalogueController') });
          expect(byRoute['GET /partners/orders'].fields.origin.value).toEqual(['https://app.example.com', 'source TrustedOriginsSource']);
          expect(byRoute['GET /partners/orders'].fields.credentials.value).toBe(true);
          expect(byRoute['POST /webhooks/payments']).toMatchObject({ enabled: false });
          expect(byRoute['GET /admin/cors-policies']).toMatchObject({ enabled: false, disabledBy: '@CorsPolicy on AdminController' });
        });

        it('GET /admin/cors-policies needs the token', async () => {
          await request(server).get('/admin/cors-policies').expect(401);
        });
      });

      describe('POST /webhooks/payments', () => {
        it('has no CORS headers', async () => {
          const res = await request(server).post('/webhooks/payments').set('Origin', SEEDED).send({ id: 'evt_1' }).expect(201);
          expect(corsHeaders(res)).toEqual([]);
          const preflight = await request(server)
            .options('/webhooks/payments')
            .set({ Origin: SEEDED, 'Access-Control-Request-Method': 'POST' });
          expect(corsHeaders(preflight)).toEqual([]);
        });
      });

      describe('as a browser sees it (nestjs-cors-policy/testing)', () => {
        it('lets any page read the catalogue, but not with credentials', async () => {
          const browser = createCorsBrowser(app, { origin: 'https://anyone.example.net' });
          assertCorsAllowed(await browser.fetch('/catalogue', { headers: { Accept: 'application/json' } }), { readable: ['Content-Type'] });
          assertCorsRefused(await browser.fetch('/catalogue', { credentials: 'include' }), { reason: '"*"' });
        });

        it('lets a seeded partner read its orders with credentials, after a preflight for X-Request-Id', async () => {
          const outcome = await createCorsBrowser(app, { origin: SEEDED }).fetch('/partners/orders', {
            headers: { 'X-Request-Id': 'r-1' },
            credentials: 'include',
          });
          assertCorsAllowed(outcome);
          expect(outcome.preflight?.requestHeaders['Access-Control-Request-Headers']).toBe('x-request-id');
          expect(JSON.parse(outcome.response?.body ?? 'null')).toEqual(expect.any(Array));
        });

        it('hides the partner orders from an unknown origin and from look-alikes', async () => {
          for (const origin of ['https://unknown.example.net', 'https://partner.example.com.evil.net', 'http://partner.example.com']) {
            assertCorsRefused(await createCorsBrowser(app, { origin }).fetch('/partners/orders', { credentials: 'include' }), {
              step: 'response',
              reason: 'no Access-Control-Allow-Origin',
            });
          }
        });

        it('refuses the admin API to a page on another origin, even a trusted one, at the preflight', async () => {
          const outcome = await createCorsBrowser(app, { origin: SEEDED }).fetch('/admin/origins', { headers: AUTH });
          assertCorsRefused(outcome, { step: 'preflight' });
          expect(outcome.response).toBeUndefined();
        });

        it('gives a webhook no CORS at all', async () => {
          const outcome = await createCorsBrowser(app, { origin: SEEDED }).fetch('/webhooks/payments', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ id: 'evt_2' }),
          });
          assertCorsRefused(outcome, { step: 'preflight', reason: 'no Access-Control-Allow-Origin' });
        });
      });
    });

    // Opened after the app above is closed: PGlite allows one open instance per folder.
    describe('with a short cache TTL (CORS_CACHE_TTL_MS)', () => {
      const TTL_MS = 400;
      let app: INestApplication;

      beforeAll(async () => {
        app = await startApp(database, 'ttl', { CORS_CACHE_TTL_MS: String(TTL_MS) }, platform);
      }, STARTUP_TIMEOUT_MS);
      afterAll(() => app?.close());

      it('keeps a cached refusal until the TTL expires when the change bypasses invalidation', async () => {
        const origin = 'https://cached.partner-e.example';
        const server = app.getHttpServer();
        // The announcement of the change is lost (as while the LISTEN connection is down): nothing
        // invalidates the cache, neither the admin API (bypassed) nor the listener (muted).
        const invalidate = jest.spyOn(app.get(CorsOriginCache), 'invalidate').mockImplementation(() => undefined);
        try {
          const refusedAt = Date.now();
          expectRefused(await request(server).get('/partners/orders').set('Origin', origin));
          await app.get(OriginsRepository).add(origin);
          const stillRefused = await request(server).get('/partners/orders').set('Origin', origin);
          expect(Date.now() - refusedAt).toBeLessThan(TTL_MS); // otherwise the check below proves nothing
          expectRefused(stillRefused);
          await new Promise((resolve) => setTimeout(resolve, TTL_MS + 100));
          expectAllowed(await request(server).get('/partners/orders').set('Origin', origin), origin);
        } finally {
          invalidate.mockRestore();
        }
      });
    });
  });
});

describe('sample configuration', () => {
  it('generates a random admin token when ADMIN_TOKEN is unset, never a fixed one', () => {
    const first = resolveSampleConfig({}, {});
    const second = resolveSampleConfig({}, {});
    expect(first.adminTokenGenerated).toBe(true);
    expect(first.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(first.adminToken).not.toBe(second.adminToken);
  });

  it('reads the environment, with the documented defaults', () => {
    expect(resolveSampleConfig({}, {})).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      pgliteDir: 'sample/.data',
      databaseUrl: undefined,
      cacheTtlMs: 60_000,
    });
    const env = {
      HOST: '0.0.0.0',
      PORT: '8080',
      PGLITE_DIR: '/tmp/x',
      DATABASE_URL: 'postgres://db/x',
      ADMIN_TOKEN: 'tok',
      CORS_CACHE_TTL_MS: '0',
    };
    expect(resolveSampleConfig({}, env)).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      pgliteDir: '/tmp/x',
      databaseUrl: 'postgres://db/x',
      adminToken: 'tok',
      adminTokenGenerated: false,
      cacheTtlMs: 0,
    });
  });

  it('runs on Express by default, on Fastify with PLATFORM=fastify, and refuses another platform at startup', () => {
    expect(resolveSampleConfig({}, {}).platform).toBe('express');
    expect(resolveSampleConfig({}, { PLATFORM: 'fastify' }).platform).toBe('fastify');
    expect(() => resolveSampleConfig({}, { PLATFORM: 'koa' })).toThrow(/PLATFORM must be "express" or "fastify"/);
  });

  it('names the instance (INSTANCE_ID, default <hostname>-<pid>) and refuses a name PostgreSQL would mangle', () => {
    expect(resolveSampleConfig({}, {}).instanceId).toMatch(new RegExp(`^[A-Za-z0-9._-]+-${process.pid}$`));
    expect(resolveSampleConfig({}, { INSTANCE_ID: 'web-1' })).toMatchObject({ instanceId: 'web-1', originsChannel: 'cors_origins' });
    for (const id of ['web 1', 'wéb', 'x'.repeat(41), "a'b"]) {
      expect(() => resolveSampleConfig({}, { INSTANCE_ID: id })).toThrow(/INSTANCE_ID/);
    }
  });

  it('refuses a malformed number at startup', () => {
    expect(() => resolveSampleConfig({}, { CORS_CACHE_TTL_MS: 'soon' })).toThrow(/CORS_CACHE_TTL_MS/);
    expect(() => resolveSampleConfig({}, { PORT: '-1' })).toThrow(/PORT/);
  });
});
