/**
 * Proof in a real browser (BRIEF §6; issue "Proof in a real browser"). CORS is enforced by
 * browsers, so this suite lets a headless Chromium (Debian's, driven by playwright-core) call
 * apps that use the library from pages on other origins, and asserts what the page's
 * JavaScript can and cannot do: whether fetch resolved or threw (a CORS failure rejects with
 * `TypeError: Failed to fetch`), and the status, headers and body the page could read. The
 * API's HTTP server records every request it receives (test/browser/request-log.ts), which
 * tells what the browser sent: preflights, and whether the actual request followed.
 *
 * Everything runs twice, with the fixture app and the sample on Express and on Fastify (issue
 * 15): one browser and the same pages, fresh browser contexts per platform.
 *
 * Origins: pages served by tiny node:http servers on
 *   - primary   http://127.0.0.1:<p1>  trusted by the fixture app; same site as the API (cookies);
 *   - secondary http://localhost:<p2>  trusted by the fixture app's module defaults;
 *   - stranger  http://127.0.0.2:<p3>  trusted by nothing (until the sample's admin adds it);
 *   - null      a sandboxed iframe (sandbox="allow-scripts") inside the primary page.
 *
 * Needs /usr/bin/chromium (`apt-get install chromium`). Without it the suite is skipped with a
 * warning, except in CI (CI=true), where a missing browser fails the run.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BrowserContext, Page } from 'playwright-core';
import { CORS_FAILURE, probe, probeInSandbox, readable, type ProbeResult } from './browser/chromium.js';
import { GOOD_TOKEN, SESSION_COOKIE, startFixtureApp, type FixtureApp } from './browser/fixture-app.js';
import type { PageServer } from './browser/page-server.js';
import { BROWSER_SAMPLE_ADMIN_TOKEN, startBrowserSample, type BrowserSample } from './browser/sample-app.js';
import { describeInBrowser, useBrowserStage } from './browser/stage.js';
import { PLATFORMS } from './support/apps.js';

jest.setTimeout(30_000);

/** Asserts that the browser refused the response: fetch rejected with a TypeError. */
function expectRefused(result: ProbeResult): void {
  expect(result).toEqual({ ok: false, error: expect.stringMatching(CORS_FAILURE) });
}

function json(result: ProbeResult): unknown {
  return JSON.parse(readable(result).body);
}

describeInBrowser('browser suite')('CORS in headless Chromium', () => {
  const stage = useBrowserStage([['127.0.0.1'], ['127.0.0.1', 'localhost'], ['127.0.0.2']]);
  let primary: PageServer;
  let secondary: PageServer;
  let stranger: PageServer;

  beforeAll(() => {
    [primary, secondary, stranger] = stage.pageServers;
  });

  // One browser, the same page origins, the same fixture module: only the HTTP platform changes.
  describe.each(PLATFORMS)('on %s', (platform) => {
    let api: FixtureApp | undefined;
    let primaryPage: Page;
    let secondaryPage: Page;
    let strangerPage: Page;
    const contexts: BrowserContext[] = [];

    /**
     * One browser context (a fresh profile's worth of cookies and caches) per page origin and
     * platform: cookies are per host, not per port, so the apps of the two platforms would
     * otherwise see each other's session cookie and preflight cache entries.
     */
    async function openPage(server: PageServer): Promise<Page> {
      const context = await stage.browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(server.pageUrl);
      expect(await page.evaluate('location.origin')).toBe(server.origin);
      return page;
    }

    const apiUrl = (path: string): string => `${api!.url}${path}`;

    beforeAll(async () => {
      api = await startFixtureApp({ primary: primary.origin, secondary: secondary.origin }, platform);
      primaryPage = await openPage(primary);
      secondaryPage = await openPage(secondary);
      strangerPage = await openPage(stranger);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(contexts.map((context) => context.close()));
      await api?.close();
    }, 60_000);

    it("runs Debian's Chromium, with the pages on three distinct origins", () => {
      expect(stage.browser.version()).toMatch(/^\d+\./);
      expect(new Set([primary.origin, secondary.origin, stranger.origin, api!.url]).size).toBe(4);
      expect(api!.app.getHttpAdapter().getType()).toBe(platform);
    });

    describe('simple GET', () => {
      it('a "*" route is readable from every origin, the opaque null origin included', async () => {
        for (const [page, origin] of [
          [primaryPage, primary.origin],
          [secondaryPage, secondary.origin],
          [strangerPage, stranger.origin],
        ] as const) {
          const result = await probe(page, apiUrl('/public'));
          expect(readable(result).status).toBe(200);
          expect(json(result)).toEqual({ origin, cookie: null });
        }
        const sandboxed = await probeInSandbox(primaryPage, apiUrl('/public?from=sandbox'));
        expect(sandboxed.frameOrigin).toBe('null');
        expect(sandboxed.messageOrigin).toBe('null');
        expect(readable(sandboxed.result).status).toBe(200);
        expect(json(sandboxed.result)).toEqual({ origin: 'null', cookie: null });
      });

      it('a listed origin reads a module-default route; an unlisted origin and null get a TypeError, though the handler answered 200', async () => {
        for (const [page, origin] of [
          [primaryPage, primary.origin],
          [secondaryPage, secondary.origin],
        ] as const) {
          const result = await probe(page, apiUrl('/partners'));
          expect(readable(result).status).toBe(200);
          expect(json(result)).toEqual({ origin });
        }

        expectRefused(await probe(strangerPage, apiUrl('/partners?from=stranger')));
        expect(api!.log.to('GET', '/partners?from=stranger')).toEqual([expect.objectContaining({ origin: stranger.origin, status: 200 })]);

        const sandboxed = await probeInSandbox(primaryPage, apiUrl('/partners?from=sandbox'));
        expect(sandboxed.frameOrigin).toBe('null');
        expectRefused(sandboxed.result);
        expect(api!.log.to('GET', '/partners?from=sandbox')).toEqual([expect.objectContaining({ origin: 'null', status: 200 })]);
      });
    });

    describe('credentials', () => {
      /** The API sets its session cookie on 127.0.0.1 through a credentialed fetch from the primary page. */
      async function logIn(): Promise<void> {
        const login = await probe(primaryPage, apiUrl('/session/login'), { credentials: 'include' });
        expect(readable(login).status).toBe(200);
        const cookies = await primaryPage.context().cookies(api!.url);
        expect(cookies).toEqual([
          expect.objectContaining({ name: 'sid', value: SESSION_COOKIE.split('=')[1], domain: '127.0.0.1', sameSite: 'Lax' }),
        ]);
      }

      it('a listed origin gets the cookie the API set and sends it back with credentials: "include"', async () => {
        await logIn();
        const withCookie = await probe(primaryPage, apiUrl('/session/me'), { credentials: 'include' });
        expect(readable(withCookie).status).toBe(200);
        expect(json(withCookie)).toEqual({ cookie: SESSION_COOKIE });

        // Without credentials: 'include', a cross-origin fetch carries no cookie.
        const withoutCookie = await probe(primaryPage, apiUrl('/session/me?credentials=same-origin'));
        expect(json(withoutCookie)).toEqual({ cookie: null });
      });

      it('a credentialed fetch of a "*" route is refused by the browser, though it sent the cookie', async () => {
        await logIn();
        expectRefused(await probe(primaryPage, apiUrl('/public?credentials=include'), { credentials: 'include' }));
        expect(api!.log.to('GET', '/public?credentials=include')).toEqual([
          expect.objectContaining({ cookie: SESSION_COOKIE, status: 200 }),
        ]);

        // The same route without credentials is readable.
        expect(readable(await probe(primaryPage, apiUrl('/public?credentials=omit'), { credentials: 'omit' })).status).toBe(200);
      });

      it('a credentialed fetch from an origin the route does not list is refused', async () => {
        // The secondary origin is trusted by the module defaults, but /session lists only the primary one.
        expectRefused(await probe(secondaryPage, apiUrl('/session/me?from=secondary'), { credentials: 'include' }));
        expect(api!.log.to('GET', '/session/me?from=secondary')).toEqual([expect.objectContaining({ status: 200 })]);
      });
    });

    describe('preflighted methods and headers', () => {
      it('PATCH with JSON and an allowed custom header: one preflight, then the PATCH, and the page reads the answer', async () => {
        const result = await probe(primaryPage, apiUrl('/items/7'), {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-7' },
          body: JSON.stringify({ name: 'green tea' }),
        });
        expect(readable(result).status).toBe(200);
        expect(json(result)).toEqual({ id: '7', body: { name: 'green tea' }, requestId: 'req-7' });
        expect(api!.log.preflightsTo('/items/7')).toEqual([
          expect.objectContaining({
            origin: primary.origin,
            requestMethod: 'PATCH',
            requestHeaders: 'content-type,x-request-id',
            status: 204,
          }),
        ]);
        expect(api!.log.to('PATCH', '/items/7')).toHaveLength(1);
      });

      it("DELETE, served but not in the route's methods: the preflight fails and DELETE is never sent", async () => {
        expectRefused(await probe(primaryPage, apiUrl('/items/8'), { method: 'DELETE' }));
        expect(api!.log.preflightsTo('/items/8')).toEqual([expect.objectContaining({ requestMethod: 'DELETE' })]);
        expect(api!.log.to('DELETE', '/items/8')).toEqual([]);
      });

      it('PATCH with a custom header the route does not allow: the preflight fails and the PATCH is never sent', async () => {
        expectRefused(
          await probe(primaryPage, apiUrl('/items/9'), {
            method: 'PATCH',
            headers: { 'Content-Type': 'application/json', 'X-Debug': '1' },
            body: '{}',
          }),
        );
        expect(api!.log.preflightsTo('/items/9')).toEqual([
          expect.objectContaining({ requestMethod: 'PATCH', requestHeaders: 'content-type,x-debug' }),
        ]);
        expect(api!.log.to('PATCH', '/items/9')).toEqual([]);
      });

      it('an unlisted origin cannot PATCH even with allowed headers: the PATCH is never sent', async () => {
        expectRefused(await probe(strangerPage, apiUrl('/items/10'), { method: 'PATCH', headers: { 'X-Request-Id': 'req-10' } }));
        expect(api!.log.preflightsTo('/items/10')).toEqual([expect.objectContaining({ origin: stranger.origin })]);
        expect(api!.log.to('PATCH', '/items/10')).toEqual([]);
      });
    });

    describe('response headers', () => {
      it('exposedHeaders lets the page read a response header; without it the page cannot, though the server sent it', async () => {
        const exposed = readable(await probe(primaryPage, apiUrl('/headers/exposed')));
        expect(exposed.status).toBe(200);
        expect(exposed.headers['x-thing']).toBe('exposed-42');

        const hidden = readable(await probe(primaryPage, apiUrl('/headers/hidden')));
        expect(hidden.status).toBe(200);
        expect(hidden.headers['x-thing']).toBeUndefined();
        expect(JSON.parse(hidden.body)).toEqual({ route: 'hidden' });

        // The header was on the wire: the browser hid it from the page.
        const direct = await fetch(apiUrl('/headers/hidden'), { headers: { Origin: primary.origin } });
        expect(direct.headers.get('x-thing')).toBe('hidden-42');
        expect(direct.headers.get('access-control-allow-origin')).toBe(primary.origin);
      });
    });

    describe('preflight cache', () => {
      it('a second identical request within maxAge sends no new preflight', async () => {
        for (let i = 0; i < 2; i += 1) {
          expect(readable(await probe(primaryPage, apiUrl('/cached/long/1'), { method: 'PUT' })).status).toBe(200);
        }
        expect(api!.log.to('PUT', '/cached/long/1')).toHaveLength(2);
        expect(api!.log.preflightsTo('/cached/long/1')).toHaveLength(1);
      });

      it('with maxAge 0 the browser preflights every request', async () => {
        for (let i = 0; i < 2; i += 1) {
          expect(readable(await probe(primaryPage, apiUrl('/cached/none/1'), { method: 'PUT' })).status).toBe(200);
        }
        expect(api!.log.to('PUT', '/cached/none/1')).toHaveLength(2);
        expect(api!.log.preflightsTo('/cached/none/1')).toHaveLength(2);
      });
    });

    describe('POST bodies', () => {
      it('a JSON POST is preflighted, then readable', async () => {
        const result = await probe(primaryPage, apiUrl('/echo/json'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ qty: 2 }),
        });
        expect(readable(result).status).toBe(201);
        expect(json(result)).toEqual({ contentType: 'application/json', body: { qty: 2 } });
        expect(api!.log.preflightsTo('/echo/json')).toEqual([
          expect.objectContaining({ requestMethod: 'POST', requestHeaders: 'content-type' }),
        ]);
        expect(api!.log.to('POST', '/echo/json')).toHaveLength(1);
      });

      it('a text/plain POST is sent without a preflight, and readable', async () => {
        const result = await probe(primaryPage, apiUrl('/echo/text'), {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          body: 'two cups',
        });
        expect(readable(result).status).toBe(201);
        expect(json(result)).toEqual({ contentType: 'text/plain', text: 'two cups' });
        expect(api!.log.preflightsTo('/echo/text')).toEqual([]);
        expect(api!.log.to('POST', '/echo/text')).toHaveLength(1);
      });

      it('a text/plain POST from an unlisted origin reaches the handler, but the page cannot read the answer', async () => {
        expectRefused(
          await probe(strangerPage, apiUrl('/echo/text?from=stranger'), {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain' },
            body: 'x',
          }),
        );
        expect(api!.log.preflightsTo('/echo/text?from=stranger')).toEqual([]);
        expect(api!.log.to('POST', '/echo/text?from=stranger')).toEqual([
          expect.objectContaining({ origin: stranger.origin, status: 201 }),
        ]);
      });
    });

    describe('guards', () => {
      it('a 401 from a guard is readable by the page, with and without a preflight', async () => {
        // Authorization is not a safelisted header: a preflight, which the guard must not block.
        const wrongToken = readable(
          await probe(primaryPage, apiUrl('/guarded?token=wrong'), { headers: { Authorization: 'Bearer wrong' } }),
        );
        expect(wrongToken.status).toBe(401);
        expect(JSON.parse(wrongToken.body)).toEqual(
          expect.objectContaining({ statusCode: 401, message: 'a valid bearer token is required' }),
        );
        expect(api!.log.preflightsTo('/guarded?token=wrong')).toEqual([
          expect.objectContaining({ requestMethod: 'GET', requestHeaders: 'authorization', status: 204 }),
        ]);

        // A simple GET without a token: no preflight, the 401 is still readable.
        const noToken = readable(await probe(primaryPage, apiUrl('/guarded?token=none')));
        expect(noToken.status).toBe(401);
        expect(api!.log.preflightsTo('/guarded?token=none')).toEqual([]);

        const goodToken = readable(await probe(primaryPage, apiUrl('/guarded?token=good'), { headers: { Authorization: GOOD_TOKEN } }));
        expect(goodToken.status).toBe(200);
        expect(JSON.parse(goodToken.body)).toEqual({ secret: 'for token holders' });
      });
    });

    describe('@CorsPolicy(false)', () => {
      it('a route with CORS off is unreadable from an origin the module defaults trust, though its handler ran', async () => {
        expectRefused(await probe(primaryPage, apiUrl('/webhook')));
        expect(api!.log.to('GET', '/webhook')).toEqual([expect.objectContaining({ origin: primary.origin, status: 200 })]);
        // The same page reads a module-default route.
        expect(readable(await probe(primaryPage, apiUrl('/partners?from=primary'))).status).toBe(200);
      });
    });

    describe('sample app: an origin added through the admin API', () => {
      let sample: BrowserSample | undefined;

      beforeAll(async () => {
        sample = await startBrowserSample(platform);
      }, 120_000);

      afterAll(() => sample?.close(), 30_000);

      it('GET /catalogue is readable from any origin', async () => {
        const result = await probe(strangerPage, `${sample!.url}/catalogue`);
        expect(readable(result).status).toBe(200);
        expect(json(result)).toEqual(expect.arrayContaining([expect.objectContaining({ sku: 'TEA-001' })]));
      });

      it('GET /partners/orders becomes readable once the admin adds the origin, without a restart, and unreadable once removed', async () => {
        const orders = `${sample!.url}/partners/orders`;
        const init = { credentials: 'include', cache: 'no-store' } as const;

        expectRefused(await probe(strangerPage, orders, init));

        const added = await sample!.admin('/admin/origins', { method: 'POST', body: JSON.stringify({ origin: stranger.origin }) });
        expect(added.status).toBe(201);

        const allowed = await probe(strangerPage, orders, init);
        expect(readable(allowed).status).toBe(200);
        expect(json(allowed)).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'ord-1001' })]));

        const removed = await sample!.admin(`/admin/origins/${encodeURIComponent(stranger.origin)}`, { method: 'DELETE' });
        expect(removed.status).toBe(204);

        expectRefused(await probe(strangerPage, orders, init));
        // All three reached the handler: only the browser's verdict changed.
        expect(sample!.log.to('GET', '/partners/orders').map((r) => [r.origin, r.status])).toEqual([
          [stranger.origin, 200],
          [stranger.origin, 200],
          [stranger.origin, 200],
        ]);
      });

      it('the admin API is unreadable from a page, even with the token, and the page cannot make it add an origin', async () => {
        expectRefused(
          await probe(strangerPage, `${sample!.url}/admin/origins`, { headers: { Authorization: `Bearer ${BROWSER_SAMPLE_ADMIN_TOKEN}` } }),
        );
        expectRefused(
          await probe(strangerPage, `${sample!.url}/admin/origins`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${BROWSER_SAMPLE_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ origin: stranger.origin }),
          }),
        );
        // Only the preflights reached the server, never the requests that carry the token.
        expect(
          sample!.log
            .preflightsTo('/admin/origins')
            .map((r) => r.requestMethod)
            .sort(),
        ).toEqual(['GET', 'POST']);
        expect(sample!.log.to('GET', '/admin/origins')).toEqual([]);
        expect(sample!.log.to('POST', '/admin/origins').filter((r) => r.origin === stranger.origin)).toEqual([]);
      });
    });
  });
});
