/**
 * The upgrade gate (issue 25): every WebSocket upgrade the app serves is judged before any
 * `upgrade` listener sees it, with the policy its path gets from the HTTP table. Real packages
 * and real clients: Apollo subscriptions with `graphql-ws`'s client, raw `ws` servers wired both
 * ways, Nest gateways, Mercurius and `@fastify/websocket` on Fastify.
 */
import type { IncomingMessage, Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import request from 'supertest';
import { WebSocket, WebSocketServer } from 'ws';
import { CorsModule, CorsPolicy, CorsPolicyMap, type CorsDecision, type CorsModuleOptions, type CorsOriginResolver } from '../lib/index.js';
import { CorsWsAdapter } from '../lib/websockets/ws.js';
import { createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';
import { subscribeGraphql, upgradeStatus } from './support/socket-clients.js';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.org';
const EVIL = 'https://evil.example.net';
const SESSION = 'session=s3cr3t';
const TICKS = 'subscription { ticks }';
const GRAPHQL_WS = ['graphql-transport-ws'];

/** Which app code ran, by name: never for a refused handshake. */
const ran = new Map<string, number>();
const count = (name: string) => void ran.set(name, (ran.get(name) ?? 0) + 1);
const times = (name: string) => ran.get(name) ?? 0;
/** The cookies the subscription server saw at `onConnect`. */
const cookies: (string | undefined)[] = [];
const decisions: CorsDecision[] = [];

type GraphqlModule = ReturnType<typeof GraphQLModule.forRoot>;

const SCHEMA = 'type Query { hello: String } type Subscription { ticks: String }';

async function* ticks(): AsyncGenerator<{ ticks: string }> {
  count('subscription resolver');
  yield { ticks: 'tick-1' };
  yield { ticks: 'tick-2' };
}

function apollo(): GraphqlModule {
  return GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    typeDefs: SCHEMA,
    resolvers: { Query: { hello: () => 'world' }, Subscription: { ticks: { subscribe: ticks } } },
    subscriptions: {
      'graphql-ws': {
        onConnect: (context: { extra: unknown }) => {
          count('onConnect');
          cookies.push((context.extra as { request: IncomingMessage }).request.headers.cookie);
        },
      },
    },
  });
}

const OPTIONS: CorsModuleOptions = {
  origin: [PARTNER],
  credentials: true,
  strict: true,
  paths: {
    '/graphql': { origin: [APP], credentials: true },
    '/collab': { origin: [APP], credentials: true },
    '/notes': { origin: [APP], credentials: true },
    '/closed': false,
  },
  onDecision: (decision) => void decisions.push(decision),
};

function moduleWith(options: CorsModuleOptions, imports: GraphqlModule[] = [], providers: Type[] = []): Type {
  @Module({ imports: [CorsModule.forRoot(options), ...imports], providers })
  class UpgradesModule {}
  return UpgradesModule;
}

/** A raw `ws` server wired as collaboration backends do (`noServer` + `server.on('upgrade')`), on every path it is given. */
function noServerWs(server: Server, paths: readonly string[], name: string, prepend: boolean): void {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (socket, req) => {
    count(name);
    cookies.push(req.headers.cookie);
    socket.send('document');
  });
  const listener = (
    req: Parameters<WebSocketServer['handleUpgrade']>[0],
    socket: Parameters<WebSocketServer['handleUpgrade']>[1],
    head: Buffer,
  ) => {
    const path = (req.url ?? '').split('?')[0];
    if (!paths.includes(path)) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  if (prepend) server.prependListener('upgrade', listener);
  else server.on('upgrade', listener);
}

async function start(module: Type, before: (app: INestApplication) => void | Promise<void> = () => undefined) {
  const app = await createPlatformFactoryApp(module, { logger: ['error'], abortOnError: false });
  await before(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws');
  return { app, url, http: url.replace(/^ws/, 'http') };
}

/** Opens a raw socket and waits for the first message the server sends (listened for before the socket opens). */
async function firstMessage(url: string, origin: string): Promise<string> {
  const socket = new WebSocket(url, { origin, headers: { cookie: SESSION } });
  const message = new Promise<string>((resolve, reject) => {
    socket.once('message', (data: Buffer) => resolve(data.toString()));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
  try {
    return await message;
  } finally {
    socket.close();
  }
}

beforeEach(() => {
  ran.clear();
  cookies.length = 0;
  decisions.length = 0;
});

describeOnPlatforms('Apollo subscriptions and a raw ws server wired before the gate', () => {
  let app: INestApplication;
  let url: string;
  let http: string;
  beforeAll(async () => {
    // Wired before CorsModule installs its gate (app.listen() initialises the app), and prepended: the gate still runs first.
    ({ app, url, http } = await start(moduleWith(OPTIONS, [apollo()]), (created) => {
      noServerWs(created.getHttpServer() as Server, ['/notes', '/closed', '/open'], 'raw connection', true);
    }));
  });
  afterAll(() => app.close());

  it('refuses an untrusted origin a GraphQL subscription: 403, no onConnect, no resolver', async () => {
    expect(await upgradeStatus(`${url}/graphql`, EVIL, GRAPHQL_WS)).toBe(403);
    const result = await subscribeGraphql(`${url}/graphql`, EVIL, TICKS, SESSION);
    expect(result.ok).toBe(false);
    expect(times('onConnect')).toBe(0);
    expect(times('subscription resolver')).toBe(0);
  });

  it('the module defaults do not open /graphql: its paths row decides, for handshakes as for HTTP', async () => {
    expect(await upgradeStatus(`${url}/graphql`, PARTNER, GRAPHQL_WS)).toBe(403);
    const post = await request(http).post('/graphql').set('Origin', PARTNER).send({ query: '{ hello }' });
    expect(post.status).toBe(403);
    expect(times('onConnect')).toBe(0);
  });

  it('a trusted page subscribes with its cookies and receives the data', async () => {
    const result = await subscribeGraphql(`${url}/graphql`, APP, TICKS, SESSION);
    expect(result).toEqual({ ok: true, received: [{ ticks: 'tick-1' }, { ticks: 'tick-2' }] });
    expect(cookies).toEqual([SESSION]);
    expect(times('subscription resolver')).toBe(1);
  });

  it('a client without Origin (not a browser) subscribes', async () => {
    expect(await subscribeGraphql(`${url}/graphql`, undefined, TICKS)).toMatchObject({ ok: true });
  });

  it('a raw noServer ws server: refused for an untrusted origin (its connection handler never runs), open for a trusted one', async () => {
    expect(await upgradeStatus(`${url}/notes`, EVIL)).toBe(403);
    expect(times('raw connection')).toBe(0);
    expect(await firstMessage(`${url}/notes`, APP)).toBe('document');
    expect(times('raw connection')).toBe(1);
    expect(cookies).toEqual([SESSION]);
  });

  it('a path whose policy is false admits no cross-origin handshake; clients without Origin pass', async () => {
    expect(await upgradeStatus(`${url}/closed`, APP)).toBe(403);
    expect(await upgradeStatus(`${url}/closed`, undefined)).toBe(101);
  });

  it('a path no row names gets the module defaults', async () => {
    expect(await upgradeStatus(`${url}/open`, PARTNER)).toBe(101);
    expect(await upgradeStatus(`${url}/open`, APP)).toBe(403);
  });

  it('reports one decision per handshake: GET, not a preflight, the path without its query', async () => {
    await upgradeStatus(`${url}/notes?doc=1`, EVIL);
    await upgradeStatus(`${url}/notes`, APP);
    expect(decisions).toEqual([
      expect.objectContaining({
        preflight: false,
        allowed: false,
        origin: EVIL,
        method: 'GET',
        path: '/notes',
        reason: 'origin not trusted',
      }),
      expect.objectContaining({
        preflight: false,
        allowed: true,
        origin: APP,
        method: 'GET',
        path: '/notes',
        policy: "CorsModule.forRoot paths['/notes']",
      }),
    ]);
  });

  it('a malformed Origin is refused without a 500, and so reported', async () => {
    expect(await upgradeStatus(`${url}/notes`, 'https://app.example.com, https://evil.example.net')).toBe(403);
    expect(decisions).toEqual([expect.objectContaining({ allowed: false, reason: 'origin not a serialized origin' })]);
  });
});

describeOnPlatforms('a raw ws server attached with new WebSocketServer({ server, path }) after the app starts', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await start(moduleWith(OPTIONS)));
    const wss = new WebSocketServer({ server: app.getHttpServer() as Server, path: '/collab' });
    wss.on('connection', (socket, req) => {
      count('collab connection');
      cookies.push(req.headers.cookie);
      socket.send('document');
    });
  });
  afterAll(() => app.close());

  it('refuses the untrusted origin with 403 and runs no connection handler; strict mode refuses its plain GET too', async () => {
    expect(await upgradeStatus(`${url}/collab`, EVIL)).toBe(403);
    expect(times('collab connection')).toBe(0);
    expect((await request(app.getHttpServer()).get('/collab').set('Origin', EVIL)).status).toBe(403);
  });

  it('lets the trusted origin in, with its cookie', async () => {
    expect(await firstMessage(`${url}/collab`, APP)).toBe('document');
    expect(times('collab connection')).toBe(1);
    expect(cookies).toEqual([SESSION]);
  });
});

/** A resolver standing for a database of GraphQL client origins: counts its lookups. */
@Injectable()
class GraphqlClients implements CorsOriginResolver {
  static calls: string[] = [];
  isOriginAllowed(origin: string): Promise<boolean> {
    GraphqlClients.calls.push(origin);
    return Promise.resolve(origin === APP);
  }
}

describeOnPlatforms('a resolver-backed path policy on /graphql', () => {
  let app: INestApplication;
  let url: string;
  let http: string;
  beforeAll(async () => {
    const options: CorsModuleOptions = { origin: [PARTNER], paths: { '/graphql': { origin: [GraphqlClients], credentials: true } } };
    ({ app, url, http } = await start(moduleWith(options, [apollo()], [GraphqlClients])));
  });
  afterAll(() => app.close());
  beforeEach(() => {
    GraphqlClients.calls = [];
  });

  it('is asked once per origin per TTL, for handshakes and HTTP together', async () => {
    expect(await subscribeGraphql(`${url}/graphql`, APP, TICKS, SESSION)).toMatchObject({ ok: true });
    const post = await request(http).post('/graphql').set('Origin', APP).send({ query: '{ hello }' });
    expect(post.headers['access-control-allow-origin']).toBe(APP);
    expect(await subscribeGraphql(`${url}/graphql`, APP, TICKS)).toMatchObject({ ok: true });
    expect(await upgradeStatus(`${url}/graphql`, EVIL, GRAPHQL_WS)).toBe(403);
    expect(await upgradeStatus(`${url}/graphql`, EVIL, GRAPHQL_WS)).toBe(403);
    await request(http).post('/graphql').set('Origin', EVIL).send({ query: '{ hello }' });
    expect(GraphqlClients.calls).toEqual([APP, EVIL]);
  });
});

function wsGateway(path: string, name: string): Type {
  @WebSocketGateway({ path })
  class Gateway implements OnGatewayConnection {
    handleConnection(): void {
      count(name);
    }
  }
  Object.defineProperty(Gateway, 'name', { value: name });
  return Gateway;
}

describeOnPlatforms("Nest's own gateways", () => {
  it('the policy map marks the paths rows that govern upgrades, not one whose path a CorsWsAdapter gateway owns', async () => {
    const { app } = await start(
      moduleWith(
        { ...OPTIONS, paths: { '/live': { origin: [APP] }, '/collab': { origin: [APP] } } },
        [],
        [wsGateway('/live', 'LiveEvents')],
      ),
      (created) => {
        created.useWebSocketAdapter(new CorsWsAdapter(created));
      },
    );
    try {
      const rows = app
        .get(CorsPolicyMap)
        .list()
        .filter((row) => row.handler === undefined);
      expect(rows.map(({ path, upgrades }) => ({ path, upgrades }))).toEqual([
        { path: '/live', upgrades: undefined },
        { path: '/collab', upgrades: true },
      ]);
    } finally {
      await app.close();
    }
  });

  afterEach(() => {
    decisions.length = 0;
  });

  it('a gateway behind plain WsAdapter, which checks no origin, is judged by the gate under its path policy', async () => {
    const { app, url } = await start(moduleWith(OPTIONS, [], [wsGateway('/notes', 'PlainGateway')]), (created) => {
      created.useWebSocketAdapter(new WsAdapter(created));
    });
    try {
      expect(await upgradeStatus(`${url}/notes`, EVIL)).toBe(403);
      expect(times('PlainGateway')).toBe(0);
      expect(await upgradeStatus(`${url}/notes`, APP)).toBe(101);
    } finally {
      await app.close();
    }
  });

  it('CorsWsAdapter: the gateway policy decides, one decision per handshake', async () => {
    const Shared = wsGateway('/live', 'SharedGateway');
    CorsPolicy({ origin: [APP] })(Shared);
    const { app, url } = await start(moduleWith(OPTIONS, [], [Shared]), (created) => {
      created.useWebSocketAdapter(new CorsWsAdapter(created));
    });
    try {
      expect(await upgradeStatus(`${url}/live`, EVIL)).toBe(403);
      expect(await upgradeStatus(`${url}/live`, APP)).toBe(101);
      expect(decisions.map(({ allowed, origin, route }) => ({ allowed, origin, route }))).toEqual([
        { allowed: false, origin: EVIL, route: 'SharedGateway' },
        { allowed: true, origin: APP, route: 'SharedGateway' },
      ]);
      expect(times('SharedGateway')).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('Fastify: Mercurius subscriptions and @fastify/websocket routes', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    const mercurius = GraphQLModule.forRoot<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      typeDefs: SCHEMA,
      resolvers: { Query: { hello: () => 'world' }, Subscription: { ticks: { subscribe: ticks } } },
      subscription: {
        context: (_socket: unknown, request: { headers: IncomingMessage['headers'] }) => {
          count('onConnect');
          cookies.push(request.headers.cookie);
          return {};
        },
      },
    });
    const module = moduleWith(OPTIONS, [mercurius]);
    app = await NestFactory.create(module, new FastifyAdapter(), { logger: ['error'] });
    const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
    // A WebSocket route as apps write them with @fastify/websocket (Mercurius registers the plugin itself).
    await fastify.register(async (scope) => {
      if (!scope.hasDecorator('websocketServer')) await scope.register(fastifyWebsocket);
      scope.get('/collab', { websocket: true }, (socket, req) => {
        count('route handler');
        cookies.push(req.headers.cookie);
        socket.send('document');
      });
    });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws');
  });
  afterAll(() => app.close());

  it('refuses an untrusted origin a Mercurius subscription: 403, no context, no resolver', async () => {
    expect(await upgradeStatus(`${url}/graphql`, EVIL, GRAPHQL_WS)).toBe(403);
    expect(await subscribeGraphql(`${url}/graphql`, EVIL, TICKS, SESSION)).toMatchObject({ ok: false });
    expect(times('onConnect')).toBe(0);
    expect(times('subscription resolver')).toBe(0);
  });

  it('a trusted page subscribes with its cookies and receives the data', async () => {
    const result = await subscribeGraphql(`${url}/graphql`, APP, TICKS, SESSION);
    expect(result).toEqual({ ok: true, received: [{ ticks: 'tick-1' }, { ticks: 'tick-2' }] });
    expect(cookies).toContain(SESSION);
  });

  it('a @fastify/websocket route: refused for an untrusted origin (its handler never runs), open for a trusted one', async () => {
    expect(await upgradeStatus(`${url}/collab`, EVIL)).toBe(403);
    expect(times('route handler')).toBe(0);
    expect(await firstMessage(`${url}/collab`, APP)).toBe('document');
    expect(times('route handler')).toBe(1);
    expect(cookies).toEqual([SESSION]);
  });
});

/** A handshake with the `Host` a DNS-rebinding page makes the browser send (its own name, resolved to this server). */
function rebindingStatus(url: string, host: string, origin: string): Promise<number> {
  return upgradeStatus(url, origin, undefined, { host });
}

describeOnPlatforms('the own-origin exemption of a handshake', () => {
  const API = 'https://api.example.com';
  /** A raw `ws` server at /live, or a CorsWsAdapter gateway there: the upgrade gate judges the first, the gateway's check the second. */
  async function startWith(options: CorsModuleOptions, server: 'raw ws' | 'gateway') {
    const live = wsGateway('/live', 'LiveGateway');
    CorsPolicy({ origin: [APP] })(live);
    const providers = server === 'gateway' ? [live] : [];
    const started = await start(moduleWith({ ...options, paths: { '/live': { origin: [APP] } } }, [], providers), (created) => {
      if (server === 'gateway') created.useWebSocketAdapter(new CorsWsAdapter(created));
    });
    if (server === 'raw ws') {
      const wss = new WebSocketServer({ server: started.app.getHttpServer() as Server, path: '/live' });
      wss.on('connection', () => count('LiveGateway'));
    }
    return { ...started, port: new URL(started.url).port };
  }

  describe.each(['raw ws', 'gateway'] as const)('%s', (server) => {
    it('without appOrigins, trusts an Origin equal to the Host (so a DNS-rebinding page and the http twin behind a TLS proxy get in)', async () => {
      const { app, url, port } = await startWith({ origin: [APP] }, server);
      try {
        expect(await rebindingStatus(`${url}/live`, `evil.example.net:${port}`, `http://evil.example.net:${port}`)).toBe(101);
        expect(await upgradeStatus(`${url}/live`, `http://127.0.0.1:${port}`)).toBe(101);
      } finally {
        await app.close();
      }
    });

    it('with strict.appOrigins, compares with them, never with Host', async () => {
      const { app, url, port } = await startWith({ origin: [APP], strict: { appOrigins: [API] } }, server);
      try {
        expect(await rebindingStatus(`${url}/live`, `evil.example.net:${port}`, `http://evil.example.net:${port}`)).toBe(403);
        expect(await upgradeStatus(`${url}/live`, `http://127.0.0.1:${port}`)).toBe(403);
        expect(times('LiveGateway')).toBe(0);
        expect(await upgradeStatus(`${url}/live`, API)).toBe(101);
        expect(await upgradeStatus(`${url}/live`, APP)).toBe(101);
        expect(times('LiveGateway')).toBe(2);
      } finally {
        await app.close();
      }
    });
  });
});

describeOnPlatforms('debug: a refused upgrade is explained', () => {
  it('names the origin, the upgrade, the policy and the fix', async () => {
    const warnings: string[] = [];
    const logger = { log: () => undefined, error: () => undefined, warn: (message: unknown) => void warnings.push(String(message)) };
    const app = await createPlatformFactoryApp(moduleWith({ ...OPTIONS, debug: true }), { logger });
    await app.listen(0, '127.0.0.1');
    try {
      new WebSocketServer({ server: app.getHttpServer() as Server, path: '/collab' });
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws');
      expect(await upgradeStatus(`${url}/collab?doc=7`, EVIL)).toBe(403);
      expect(await upgradeStatus(`${url}/closed`, APP)).toBe(403);
      expect(warnings).toEqual([
        expect.stringMatching(
          /Refused WebSocket upgrade GET \/collab for origin "https:\/\/evil\.example\.net": origin not trusted.*paths\['\/collab'\].*Fix: add the origin/,
        ),
        expect.stringMatching(/Refused WebSocket upgrade GET \/closed for origin "https:\/\/app\.example\.com".*CORS is off for this path/),
      ]);
    } finally {
      await app.close();
    }
  });
});
