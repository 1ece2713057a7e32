/**
 * Issue 27 in a real browser: a page on `https://app.acme.example` reads acme's orders from the
 * sample with its cookie and is refused globex's; once the admin API adds the origin to globex
 * it reads both; a second sample instance on the same PostgreSQL database sees the change
 * within a second.
 *
 * The origins are real to Chromium: Playwright answers the navigation to
 * `https://app.acme.example/` with the probe page, and its `fetch`es go to
 * `https://api.acme.example:<port>`, which `--host-resolver-rules` maps to a TLS proxy on
 * 127.0.0.1 in front of each sample instance (a throw-away certificate made with `openssl`).
 * The cookie is acme's session on its API (same site as the page), sent with `credentials: 'include'`.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSampleApp } from '../sample/app.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CORS_FAILURE, probe, type ProbeResult } from './browser/chromium.js';
import { RequestLog } from './browser/request-log.js';
import { describeInBrowser } from './browser/stage.js';
import { startTlsProxy, type TlsProxy } from './browser/tls-proxy.js';
import { postgresDatabase, uniqueTable } from './support/sample-databases.js';

jest.setTimeout(60_000);

const ACME = 'https://app.acme.example';
const TOKEN = 'browser-tenants-admin-token';
const PROBE_PAGE = readFileSync(new URL('./browser/probe.html', import.meta.url), 'utf8');
const postgresUrl = process.env.TEST_DATABASE_URL;

/** The API as acme's pages address it; Chromium resolves it to 127.0.0.1 (`--host-resolver-rules`). */
const API_HOST = 'api.acme.example';

/**
 * Chromium for pages on `https://app.acme.example` calling the sample at `https://api.acme.example:<port>`
 * (a TLS proxy in front of it): the name maps to loopback, and a page on a public name calling
 * loopback is not treated as a local-network request to block.
 */
function launchWithApiHost(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    args: [
      ...CHROMIUM_ARGS,
      `--host-resolver-rules=MAP ${API_HOST} 127.0.0.1`,
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights',
    ],
  });
}

/** `https://api.acme.example:<port>`: the instance as the page calls it, through its TLS proxy. */
function apiUrl(instance: Instance): string {
  return `https://${API_HOST}:${instance.tls.port}`;
}

interface Instance {
  readonly app: INestApplication;
  readonly url: string;
  readonly log: RequestLog;
  readonly tls: TlsProxy;
}

async function startInstance(options: Parameters<typeof createSampleApp>[0]): Promise<Instance> {
  const { app } = await createSampleApp({ logger: false, env: {}, adminToken: TOKEN, cacheTtlMs: 60_000, ...options });
  const log = new RequestLog(app.getHttpServer() as Server);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, log, tls: await startTlsProxy(API_HOST, Number(new URL(url).port)) };
}

function admin(instance: Instance, path: string, body?: unknown): Promise<Response> {
  return fetch(`${instance.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function expectReadable(result: ProbeResult, tenant: string): void {
  if (!result.ok) throw new Error(`expected the page to read ${tenant}'s orders, but fetch threw: ${result.error}`);
  expect(result.status).toBe(200);
  expect(JSON.parse(result.body)).toMatchObject({ tenant });
}

function expectRefused(result: ProbeResult): void {
  expect(result).toEqual({ ok: false, error: expect.stringMatching(CORS_FAILURE) });
}

const describeTenants = postgresUrl === undefined ? skippedWithoutPostgres() : describeInBrowser('browser tenants suite');
function skippedWithoutPostgres(): typeof describe.skip {
  console.warn('[browser tenants suite] SKIPPED: TEST_DATABASE_URL is not set (two instances share a PostgreSQL database).');
  return describe.skip;
}

describeTenants('tenants of the sample in headless Chromium', () => {
  const database = postgresDatabase(postgresUrl ?? '');
  const table = uniqueTable('browser_tenants');
  const channel = `cors_origins_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  let browser: Browser;
  let page: Page;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    // Two instances, one per platform, on one database and one change channel.
    a = await startInstance({
      ...database.appOptions(table),
      originsChannel: channel,
      instanceId: `browser-a-${process.pid}`,
      platform: 'express',
    });
    b = await startInstance({
      ...database.appOptions(table),
      originsChannel: channel,
      instanceId: `browser-b-${process.pid}`,
      platform: 'fastify',
    });
    browser = await launchWithApiHost();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    await context.route(`${ACME}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PROBE_PAGE }));
    // acme's session cookie for its API: same site as the page (acme.example), sent with credentials.
    await context.addCookies([{ name: 'session', value: 'acme-user', domain: API_HOST, path: '/', sameSite: 'Lax', secure: true }]);
    page = await context.newPage();
    await page.goto(`${ACME}/`);
    expect(await page.evaluate('location.origin')).toBe(ACME);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const instance of [a, b]) {
      await instance?.tls.close();
      await instance?.app.close();
    }
    await database.cleanUp();
  }, 60_000);

  const init = { credentials: 'include', cache: 'no-store' } as const;

  it('reads acme\u2019s orders with its cookie, and is refused globex\u2019s', async () => {
    expectReadable(await probe(page, `${apiUrl(a)}/tenants/acme/orders`, init), 'acme');
    expect(a.log.to('GET', '/tenants/acme/orders').map((seen) => [seen.origin, seen.cookie])).toEqual([[ACME, 'session=acme-user']]);
    expectRefused(await probe(page, `${apiUrl(a)}/tenants/globex/orders`, init));
    expectRefused(await probe(page, `${apiUrl(b)}/tenants/globex/orders`, init)); // B caches its refusal too
    expectReadable(await probe(page, `${apiUrl(b)}/tenants/acme/orders`, init), 'acme');
  });

  it('reads both once the admin API adds the origin to globex, on this instance at once and on the other within a second', async () => {
    expect((await admin(a, '/admin/tenants/globex/origins', { origin: ACME })).status).toBe(201);
    expectReadable(await probe(page, `${apiUrl(a)}/tenants/globex/orders`, init), 'globex');
    expectReadable(await probe(page, `${apiUrl(a)}/tenants/acme/orders`, init), 'acme');
    const deadline = Date.now() + 1_000;
    let onB = await probe(page, `${apiUrl(b)}/tenants/globex/orders`, init);
    while (!onB.ok && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      onB = await probe(page, `${apiUrl(b)}/tenants/globex/orders`, init);
    }
    expectReadable(onB, 'globex');
  });
});
