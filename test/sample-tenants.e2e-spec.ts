import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request, { type Response } from 'supertest';
import { createSampleApp, type SampleAppOptions } from '../sample/app.js';
import { PLATFORMS, whenReady } from './support/apps.js';
import { pgliteDatabase, postgresDatabase, uniqueTable, type SampleDatabase } from './support/sample-databases.js';

/**
 * Issue 27: the sample's tenants. `GET /tenants/:tenant/orders` trusts that tenant's origins
 * (table `tenant_origins`, path-scoped resolver); the admin API changes them per tenant; a change
 * reaches every instance through the LISTEN/NOTIFY bus, for that tenant only.
 */

const TOKEN = 'test-admin-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const ACME = 'https://app.acme.example';
const GLOBEX = 'https://app.globex.example';
const STARTUP_TIMEOUT_MS = 120_000;

async function startApp(options: SampleAppOptions): Promise<INestApplication> {
  const { app } = await createSampleApp({ adminToken: TOKEN, logger: false, env: {}, ...options });
  return whenReady(await app.init());
}

function allowOrigin(res: Response): string | undefined {
  return res.headers['access-control-allow-origin'] as string | undefined;
}

const databases: SampleDatabase[] = [pgliteDatabase()];
const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl) databases.push(postgresDatabase(postgresUrl));
else console.warn('Sample tenants suite on PostgreSQL skipped: TEST_DATABASE_URL is not set.');

describe.each(databases)('sample tenants on $name', (database) => {
  afterAll(() => database.cleanUp());
  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication;
    let server: ReturnType<INestApplication['getHttpServer']>;
    const orders = (tenant: string, origin: string) =>
      request(server).get(`/tenants/${tenant}/orders`).set('Origin', origin).set('Cookie', 'session=abc').expect(200);

    beforeAll(async () => {
      app = await startApp({ ...database.appOptions(uniqueTable(`tenants_${platform}`)), platform });
      server = app.getHttpServer();
    }, STARTUP_TIMEOUT_MS);
    afterAll(() => app?.close());

    it('trusts each tenant\u2019s seeded origin, with credentials, and never another tenant\u2019s', async () => {
      const acme = await orders('acme', ACME);
      expect(allowOrigin(acme)).toBe(ACME);
      expect(acme.headers['access-control-allow-credentials']).toBe('true');
      expect(acme.body).toMatchObject({ tenant: 'acme' });
      // acme's answer is cached now; globex must not get it.
      expect(allowOrigin(await orders('globex', ACME))).toBeUndefined();
      expect(allowOrigin(await orders('globex', GLOBEX))).toBe(GLOBEX);
      expect(allowOrigin(await orders('acme', GLOBEX))).toBeUndefined();
      expect(allowOrigin(await orders('initech', ACME))).toBeUndefined();
    });

    it('GET /admin/tenants/:tenant/origins lists a tenant\u2019s origins, behind the token, refused cross-origin', async () => {
      const listed = await request(server).get('/admin/tenants/acme/origins').set(AUTH).expect(200);
      expect(listed.body).toEqual([{ origin: ACME }]);
      await request(server).get('/admin/tenants/acme/origins').expect(401);
      const preflight = await request(server)
        .options('/admin/tenants/acme/origins')
        .set('Origin', ACME)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(allowOrigin(preflight)).toBeUndefined();
      const crossOrigin = await request(server).get('/admin/tenants/acme/origins').set(AUTH).set('Origin', ACME).expect(200);
      expect(allowOrigin(crossOrigin)).toBeUndefined();
    });

    it('POST adds an origin to one tenant (201, then 200; 400 for a bad origin or tenant) and takes effect at once', async () => {
      expect(allowOrigin(await orders('globex', ACME))).toBeUndefined(); // a refusal cached
      await request(server).post('/admin/tenants/globex/origins').set(AUTH).send({ origin: ACME }).expect(201);
      await request(server).post('/admin/tenants/globex/origins').set(AUTH).send({ origin: ACME }).expect(200);
      const bad = await request(server).post('/admin/tenants/globex/origins').set(AUTH).send({ origin: 'https://x.example/' }).expect(400);
      expect(JSON.stringify(bad.body)).toMatch(/trailing slash|path/i);
      await request(server).post('/admin/tenants/Not_A_Tenant/origins').set(AUTH).send({ origin: ACME }).expect(400);
      await request(server).post('/admin/tenants/globex/origins').send({ origin: ACME }).expect(401);
      expect(allowOrigin(await orders('globex', ACME))).toBe(ACME);
      expect(allowOrigin(await orders('acme', ACME))).toBe(ACME);
      const listed = await request(server).get('/admin/tenants/globex/origins').set(AUTH).expect(200);
      expect(listed.body).toEqual([{ origin: GLOBEX }, { origin: ACME }]);
    });

    it('DELETE removes it from that tenant only (204, then 404)', async () => {
      await request(server)
        .delete(`/admin/tenants/globex/origins/${encodeURIComponent(ACME)}`)
        .set(AUTH)
        .expect(204);
      await request(server)
        .delete(`/admin/tenants/globex/origins/${encodeURIComponent(ACME)}`)
        .set(AUTH)
        .expect(404);
      expect(allowOrigin(await orders('globex', ACME))).toBeUndefined();
      expect(allowOrigin(await orders('acme', ACME))).toBe(ACME);
    });

    it('the policy map names the scoped resolver', async () => {
      const map = await request(server).get('/admin/cors-policies').set(AUTH).expect(200);
      const entry = (map.body as Array<{ path: string; fields?: { origin: { value: string[] } } }>).find(
        (row) => row.path === '/tenants/:tenant/orders',
      );
      expect(entry?.fields?.origin.value).toEqual(['resolver TenantOrigins (scoped)']);
    });
  });
});

if (postgresUrl) {
  describe('two sample instances on PostgreSQL', () => {
    const table = uniqueTable('tenants_multi');
    const channel = `cors_origins_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const database = postgresDatabase(postgresUrl);
    const apps: INestApplication[] = [];

    beforeAll(async () => {
      for (const [name, platform] of [
        ['a', 'express'],
        ['b', 'fastify'],
      ] as const) {
        const options = { ...database.appOptions(table), originsChannel: channel, instanceId: `tenants-${name}-${process.pid}`, platform };
        apps.push(await startApp(options));
      }
    }, STARTUP_TIMEOUT_MS);
    afterAll(async () => {
      for (const app of apps) await app.close();
      await database.cleanUp();
    });

    it('a tenant change made on one instance reaches the other within a second, for that tenant only', async () => {
      const [a, b] = apps.map((app) => app.getHttpServer());
      const onB = (tenant: string) => request(b).get(`/tenants/${tenant}/orders`).set('Origin', ACME).expect(200);
      expect(allowOrigin(await onB('globex'))).toBeUndefined(); // B caches the refusal
      expect(allowOrigin(await onB('acme'))).toBe(ACME);
      await request(a).post('/admin/tenants/globex/origins').set(AUTH).send({ origin: ACME }).expect(201);
      const deadline = Date.now() + 1_000;
      let seen: string | undefined;
      while (seen === undefined && Date.now() < deadline) {
        seen = allowOrigin(await onB('globex'));
        if (seen === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seen).toBe(ACME);
      await request(a)
        .delete(`/admin/tenants/acme/origins/${encodeURIComponent(ACME)}`)
        .set(AUTH)
        .expect(204);
      const removedBy = Date.now() + 1_000;
      let still: string | undefined = ACME;
      while (still !== undefined && Date.now() < removedBy) {
        still = allowOrigin(await onB('acme'));
        if (still !== undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(still).toBeUndefined();
      expect(allowOrigin(await onB('globex'))).toBe(ACME);
    }, 30_000);
  });
}
