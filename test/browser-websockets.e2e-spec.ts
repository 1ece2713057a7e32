/**
 * WebSocket gateways in a real browser (issue 16). Browsers send `Origin` on a WebSocket
 * handshake but apply no CORS to the answer, so what a page can do is exactly what the
 * adapter's handshake check lets through: this suite opens sockets from pages on a trusted
 * and an untrusted origin and asserts whether the page connected and what it could read.
 *
 *   - socket.io: the sample app's partners gateway (namespace /partners, CorsIoAdapter), over
 *     the websocket and the polling transport; the untrusted page's origin is then added
 *     through the sample's admin API and connects without a restart.
 *   - ws: a fixture app with CorsWsAdapter and one gateway trusting the primary page.
 *
 * Both run on Express and on Fastify.
 *
 * The socket.io browser client is node_modules/socket.io-client/dist/socket.io.min.js, served
 * by each page server. Needs /usr/bin/chromium like test/browser.e2e-spec.ts: skipped with a
 * warning without it, except in CI (CI=true), where a missing browser fails the run.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Module, type INestApplication } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Page } from 'playwright-core';
import { CorsModule } from '../lib/index.js';
import { CorsWsAdapter } from '../lib/websockets/ws.js';
import type { PageServer } from './browser/page-server.js';
import { startBrowserSample, type BrowserSample } from './browser/sample-app.js';
import { describeInBrowser, useBrowserStage } from './browser/stage.js';
import { createPlatformFactoryApp, PLATFORMS } from './support/apps.js';

jest.setTimeout(30_000);

/** What the page's JavaScript got from a socket: connected and the gateway's reply, or nothing. */
interface SocketResult {
  readonly connected: boolean;
  readonly data?: unknown;
  readonly error?: string;
}

/** Opens a socket.io connection from the page, asks `subscribe`, and waits for `orders` or the refusal. */
function socketIoFromPage(page: Page, url: string, transport: 'websocket' | 'polling'): Promise<SocketResult> {
  return page.evaluate(`new Promise((resolve) => {
    const socket = io(${JSON.stringify(url)}, { transports: [${JSON.stringify(transport)}], reconnection: false, forceNew: true });
    const done = (result) => { socket.close(); resolve(result); };
    socket.on('connect', () => socket.emit('subscribe'));
    socket.on('orders', (data) => done({ connected: true, data }));
    socket.on('connect_error', (error) => done({ connected: false, error: error.message }));
  })`) as Promise<SocketResult>;
}

/** Opens a plain WebSocket from the page, sends a Nest `ws` message, and waits for the reply or the close. */
function webSocketFromPage(page: Page, url: string): Promise<SocketResult> {
  return page.evaluate(`new Promise((resolve) => {
    const socket = new WebSocket(${JSON.stringify(url)});
    let opened = false;
    socket.onopen = () => { opened = true; socket.send(JSON.stringify({ event: 'orders', data: {} })); };
    socket.onmessage = (event) => { resolve({ connected: true, data: JSON.parse(event.data) }); socket.close(); };
    socket.onclose = (event) => resolve({ connected: opened, error: 'closed with code ' + event.code });
  })`) as Promise<SocketResult>;
}

const ORDERS = [
  { id: 'ord-1001', status: 'shipped' },
  { id: 'ord-1002', status: 'pending' },
];

describeInBrowser('browser websockets suite')('WebSocket gateways in headless Chromium', () => {
  const stage = useBrowserStage([['127.0.0.1'], ['127.0.0.2']]);
  let primary: PageServer;
  let stranger: PageServer;
  let primaryPage: Page;
  let strangerPage: Page;

  async function openPage(server: PageServer): Promise<Page> {
    const page = await (await stage.browser.newContext()).newPage();
    await page.goto(server.pageUrl);
    await page.addScriptTag({ url: `${server.origin}/socket.io.min.js` });
    expect(await page.evaluate('location.origin')).toBe(server.origin);
    return page;
  }

  beforeAll(async () => {
    [primary, stranger] = stage.pageServers;
    primaryPage = await openPage(primary);
    strangerPage = await openPage(stranger);
  }, 60_000);

  // The same pages and browser; the sample and the fixture app on each HTTP platform (issue 15).
  describe.each(PLATFORMS)('on %s', (platform) => {
    describe('socket.io: the sample app', () => {
      let sample: BrowserSample | undefined;

      beforeAll(async () => {
        sample = await startBrowserSample(platform);
      }, 120_000);

      afterAll(() => sample?.close(), 30_000);

      it('an untrusted page fails to connect and reads nothing; once the admin adds its origin, it connects and exchanges messages', async () => {
        for (const transport of ['websocket', 'polling'] as const) {
          const refused = await socketIoFromPage(strangerPage, `${sample!.url}/partners`, transport);
          expect(refused).toEqual({ connected: false, error: expect.any(String) });
        }
        const added = await sample!.admin('/admin/origins', { method: 'POST', body: JSON.stringify({ origin: stranger.origin }) });
        expect(added.status).toBe(201);
        for (const transport of ['websocket', 'polling'] as const) {
          await expect(socketIoFromPage(strangerPage, `${sample!.url}/partners`, transport)).resolves.toEqual({
            connected: true,
            data: ORDERS,
          });
        }
        // The other page is still refused: the admin trusted one origin, not every page.
        await expect(socketIoFromPage(primaryPage, `${sample!.url}/partners`, 'websocket')).resolves.toMatchObject({ connected: false });
      });
    });

    describe('ws: a fixture app with CorsWsAdapter', () => {
      let app: INestApplication | undefined;
      let wsUrl: string;

      beforeAll(async () => {
        @WebSocketGateway({ path: '/events' })
        class OrderEvents {
          @SubscribeMessage('orders')
          orders() {
            return { event: 'orders', data: ORDERS };
          }
        }
        @Module({ imports: [CorsModule.forRoot({ origin: [primary.origin] })], providers: [OrderEvents] })
        class WsFixtureModule {}
        app = await createPlatformFactoryApp(WsFixtureModule, { logger: false }, platform);
        expect(app.getHttpAdapter().getType()).toBe(platform);
        app.useWebSocketAdapter(new CorsWsAdapter(app));
        await app.listen(0, '127.0.0.1');
        wsUrl = `${(await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws')}/events`;
      });

      afterAll(() => app?.close());

      it('a trusted page connects and exchanges messages', async () => {
        await expect(webSocketFromPage(primaryPage, wsUrl)).resolves.toEqual({ connected: true, data: { event: 'orders', data: ORDERS } });
      });

      it('an untrusted page fails to connect and reads nothing', async () => {
        await expect(webSocketFromPage(strangerPage, wsUrl)).resolves.toEqual({ connected: false, error: 'closed with code 1006' });
      });
    });
  });
});
