/**
 * Path policies in a real browser (issue 14): Apollo GraphQL, which no controller serves, on
 * a credentialed named policy from `paths`. A page on a trusted origin reads `/graphql` with
 * its cookie; a page on an untrusted origin, or on an origin only the module defaults trust,
 * cannot read it, and the browser does not even send the POST after the refused preflight.
 *
 * Runs on Express and on Fastify (issue 15: Apollo through `@as-integrations/express5` and
 * `@as-integrations/fastify`): one browser and the same page servers, fresh browser contexts
 * per platform (cookies are per host, not per port).
 *
 * Needs /usr/bin/chromium, as the browser suite does (skipped without it, failing under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type INestApplication } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { BrowserContext, Page } from 'playwright-core';
import { CorsModule } from '../lib/index.js';
import { CORS_FAILURE, probe, type ProbeInit } from './browser/chromium.js';
import type { PageServer } from './browser/page-server.js';
import { RequestLog } from './browser/request-log.js';
import { describeInBrowser, useBrowserStage } from './browser/stage.js';
import { PLATFORMS, createListeningApp } from './support/apps.js';

jest.setTimeout(30_000);

const SESSION = 'sid=graphql-session';

/** `whoami` answers the cookie the request carried, so the page can tell its credentials went along. */
function graphqlApp(trusted: string, defaultsOnly: string) {
  @Module({
    imports: [
      CorsModule.forRoot({
        origin: [defaultsOnly],
        credentials: true,
        policies: { partners: { origin: [trusted], credentials: true, allowedHeaders: ['Content-Type'] } },
        paths: { '/graphql': 'partners' },
      }),
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        typeDefs: 'type Query { whoami: String }',
        // The driver's default context is `{ req }` on both platforms: Express's request, or Fastify's.
        resolvers: {
          Query: {
            whoami: (_: unknown, __: unknown, context: { req: { headers: IncomingHttpHeaders } }) => context.req.headers.cookie ?? null,
          },
        },
      }),
    ],
  })
  class GraphqlAppModule {}
  return GraphqlAppModule;
}

const QUERY: ProbeInit = {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ query: '{ whoami }' }),
  credentials: 'include',
};

describeInBrowser('browser paths suite')('path policies in headless Chromium: /graphql on a credentialed named policy', () => {
  // The trusted page is on the API's site (127.0.0.1), so that the browser sends its cookie.
  const stage = useBrowserStage([['127.0.0.1'], ['127.0.0.1', 'localhost'], ['127.0.0.2']]);
  let trusted: PageServer;
  let defaultsOnly: PageServer;
  let stranger: PageServer;

  beforeAll(() => {
    [trusted, defaultsOnly, stranger] = stage.pageServers;
  });

  // One browser, the same page origins, the same module: only the HTTP platform changes.
  describe.each(PLATFORMS)('on %s', (platform) => {
    let api: INestApplication | undefined;
    let apiUrl: string;
    let log: RequestLog;
    const contexts: BrowserContext[] = [];
    const pages = new Map<string, Page>();

    /**
     * A fresh browser context per page and platform: cookies are per host, not per port, so the
     * two platforms' apps (both on 127.0.0.1) would otherwise share the session cookie, and the
     * preflight cache would carry over.
     */
    async function openPage(name: string, server: PageServer): Promise<void> {
      const context = await stage.browser.newContext();
      contexts.push(context);
      // The API's session cookie, as a login on the API's host would have set it.
      await context.addCookies([{ name: 'sid', value: 'graphql-session', url: apiUrl, sameSite: 'Lax' }]);
      const page = await context.newPage();
      await page.goto(server.pageUrl);
      pages.set(name, page);
    }

    beforeAll(async () => {
      api = await createListeningApp(
        graphqlApp(trusted.origin, defaultsOnly.origin),
        (app) => {
          log = new RequestLog(app.getHttpServer() as Server);
        },
        platform,
      );
      apiUrl = (await api.getUrl()).replace('[::1]', 'localhost');
      await openPage('trusted', trusted);
      await openPage('defaults-only', defaultsOnly);
      await openPage('stranger', stranger);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(contexts.map((context) => context.close()));
      await api?.close();
    }, 60_000);

    it('serves GraphQL on the platform it says', () => {
      expect(api!.getHttpAdapter().getType()).toBe(platform);
    });

    it('a page on the trusted origin reads the GraphQL answer, its cookie included', async () => {
      const result = await probe(pages.get('trusted')!, `${apiUrl}/graphql?page=trusted`, QUERY);
      if (!result.ok) throw new Error(`expected the page to read /graphql, but fetch threw: ${result.error}`);
      expect(result.status).toBe(200);
      expect(JSON.parse(result.body)).toEqual({ data: { whoami: SESSION } });
      // A JSON POST is not simple: the browser asked first, then sent the request with the cookie.
      expect(log.preflightsTo('/graphql?page=trusted')).toHaveLength(1);
      expect(log.to('POST', '/graphql?page=trusted').map((r) => r.cookie)).toEqual([SESSION]);
    });

    it.each(['stranger', 'defaults-only'])('a page on an origin the policy does not trust (%s) cannot read it', async (name) => {
      const url = `/graphql?page=${name}`;
      const result = await probe(pages.get(name)!, `${apiUrl}${url}`, QUERY);
      expect(result).toEqual({ ok: false, error: expect.stringMatching(CORS_FAILURE) });
      // The preflight was refused, so the browser never sent the POST.
      expect(log.preflightsTo(url)).toHaveLength(1);
      expect(log.to('POST', url)).toEqual([]);
    });
  });
});
