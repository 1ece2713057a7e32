/**
 * The upgrade gate in a real browser (issue 25): pages on a trusted and an untrusted origin open
 * a GraphQL subscription (Apollo, the `graphql-transport-ws` protocol that `graphql-ws`'s client
 * speaks) and a raw `ws` collaboration socket on the app's HTTP server. Browsers apply no CORS
 * to a WebSocket, so what a page can read is exactly what the gate lets through. Express and
 * Fastify. Needs /usr/bin/chromium like test/browser.e2e-spec.ts.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type INestApplication } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { CorsModule } from '../lib/index.js';
import type { PageServer } from './browser/page-server.js';
import { describeInBrowser, useBrowserStage } from './browser/stage.js';
import { createPlatformFactoryApp, PLATFORMS } from './support/apps.js';

jest.setTimeout(30_000);

interface SocketResult {
  readonly connected: boolean;
  readonly data?: unknown;
  readonly error?: string;
}

/** A subscription opened from the page with the `graphql-transport-ws` protocol; resolves with its first `next` payload. */
function subscriptionFromPage(page: Page, url: string): Promise<SocketResult> {
  return page.evaluate(`new Promise((resolve) => {
    const socket = new WebSocket(${JSON.stringify(url)}, 'graphql-transport-ws');
    let opened = false;
    socket.onopen = () => { opened = true; socket.send(JSON.stringify({ type: 'connection_init' })); };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { ticks }' } }));
      if (message.type === 'next') { resolve({ connected: true, data: message.payload.data }); socket.close(); }
    };
    socket.onclose = (event) => resolve({ connected: opened, error: 'closed with code ' + event.code });
  })`) as Promise<SocketResult>;
}

/** A raw WebSocket from the page; resolves with the first message the server sends. */
function collabFromPage(page: Page, url: string): Promise<SocketResult> {
  return page.evaluate(`new Promise((resolve) => {
    const socket = new WebSocket(${JSON.stringify(url)});
    let opened = false;
    socket.onopen = () => { opened = true; };
    socket.onmessage = (event) => { resolve({ connected: true, data: event.data }); socket.close(); };
    socket.onclose = (event) => resolve({ connected: opened, error: 'closed with code ' + event.code });
  })`) as Promise<SocketResult>;
}

describeInBrowser('browser upgrades suite')('GraphQL subscriptions and raw ws sockets in headless Chromium', () => {
  const stage = useBrowserStage([['127.0.0.1'], ['127.0.0.2']]);
  let primaryPage: Page;
  let strangerPage: Page;
  let primary: PageServer;

  beforeAll(async () => {
    const [trusted, stranger] = stage.pageServers;
    primary = trusted;
    const open = async (server: PageServer) => {
      const page = await (await stage.browser.newContext()).newPage();
      await page.goto(server.pageUrl);
      return page;
    };
    primaryPage = await open(trusted);
    strangerPage = await open(stranger);
  }, 60_000);

  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication | undefined;
    let base: string;
    const opened: string[] = [];

    beforeAll(async () => {
      async function* ticks() {
        opened.push('subscription');
        yield { ticks: 'tick-1' };
      }
      const graphql = GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        typeDefs: 'type Query { hello: String } type Subscription { ticks: String }',
        resolvers: { Query: { hello: () => 'world' }, Subscription: { ticks: { subscribe: ticks } } },
        subscriptions: { 'graphql-ws': true },
      });
      const trusted = { origin: [primary.origin], credentials: true };
      @Module({ imports: [CorsModule.forRoot({ origin: [], paths: { '/graphql': trusted, '/collab': trusted } }), graphql] })
      class UpgradesFixtureModule {}
      app = await createPlatformFactoryApp(UpgradesFixtureModule, { logger: false }, platform);
      await app.listen(0, '127.0.0.1');
      const collab = new WebSocketServer({ noServer: true });
      collab.on('connection', (socket) => {
        opened.push('collab');
        socket.send('document v1');
      });
      (app.getHttpServer() as Server).on('upgrade', (req, socket, head) => {
        if (req.url?.startsWith('/collab')) collab.handleUpgrade(req, socket, head, (ws) => collab.emit('connection', ws, req));
      });
      base = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws');
    }, 60_000);

    afterAll(() => app?.close());

    it('an untrusted page cannot open a GraphQL subscription or a collaboration socket, and no app code runs', async () => {
      await expect(subscriptionFromPage(strangerPage, `${base}/graphql`)).resolves.toEqual({
        connected: false,
        error: 'closed with code 1006',
      });
      await expect(collabFromPage(strangerPage, `${base}/collab`)).resolves.toEqual({ connected: false, error: 'closed with code 1006' });
      expect(opened).toEqual([]);
    });

    it('a trusted page subscribes and receives data, and opens its collaboration socket', async () => {
      await expect(subscriptionFromPage(primaryPage, `${base}/graphql`)).resolves.toEqual({ connected: true, data: { ticks: 'tick-1' } });
      await expect(collabFromPage(primaryPage, `${base}/collab`)).resolves.toEqual({ connected: true, data: 'document v1' });
      expect(opened).toEqual(['subscription', 'collab']);
    });
  });
});
