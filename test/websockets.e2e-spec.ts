/**
 * WebSocket gateways under the app's CORS policies (issue 16): CorsIoAdapter (socket.io, both
 * transports) and CorsWsAdapter (`ws`), with real clients that send `Origin` as browsers do.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import request from 'supertest';
import {
  CorsConfigurationError,
  CorsModule,
  CorsOriginCache,
  CorsPolicy,
  CorsPolicyMap,
  type CorsDecision,
  type CorsModuleOptions,
  type CorsOriginResolver,
} from '../lib/index.js';
import { CorsGatewayGate } from '../lib/websockets/cors-gateway-gate.js';
import { gatewayAddress } from '../lib/websockets/gateway-address.js';
import { discoverGateways } from '../lib/websockets/nest-gateways.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { CorsWsAdapter } from '../lib/websockets/ws.js';
import { createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';
import { askIo, askWs, connectIo, connectWs, ioUpgradeStatus } from './support/socket-clients.js';
import { RecordingLogger } from './support/recording-logger.js';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const EVIL = 'https://evil.example';

/** Which gateway code ran: handleConnection calls per gateway. */
const connections = new Map<string, number>();
const connected = (name: string) => connections.get(name) ?? 0;
function countConnection(name: string): void {
  connections.set(name, connected(name) + 1);
}

/** A resolver standing for a database of partner origins: counts its lookups, can fail. */
@Injectable()
class PartnerDirectory implements CorsOriginResolver {
  static trusted = new Set<string>();
  static failing = false;
  calls = 0;
  isOriginAllowed(origin: string): Promise<boolean> {
    this.calls++;
    if (PartnerDirectory.failing) return Promise.reject(new Error('database is down'));
    return Promise.resolve(PartnerDirectory.trusted.has(origin));
  }
}

const MODULE_OPTIONS: CorsModuleOptions = {
  origin: [APP],
  credentials: true,
  policies: { partners: { origin: [PARTNER, PartnerDirectory], credentials: true } },
};

/** Puts `@CorsPolicy(argument)` on a gateway class built by a helper. */
function withPolicy(argument: Parameters<typeof CorsPolicy>[0], gateway: Type): Type {
  CorsPolicy(argument)(gateway);
  return gateway;
}

function ioGateway(namespace: string, name: string): Type {
  @WebSocketGateway({ namespace })
  class Gateway implements OnGatewayConnection {
    handleConnection(): void {
      countConnection(name);
    }
    @SubscribeMessage('orders')
    orders() {
      return { event: 'orders', data: [`${name}: ord-1001`] };
    }
  }
  Object.defineProperty(Gateway, 'name', { value: name });
  return Gateway;
}

const DefaultsGateway = ioGateway('/defaults', 'DefaultsGateway');
const MergedGateway = withPolicy({ credentials: false }, ioGateway('/merged', 'MergedGateway'));
const PartnersGateway = withPolicy('partners', ioGateway('/partners', 'PartnersGateway'));
const OffGateway = withPolicy(false, ioGateway('/off', 'OffGateway'));
const SandboxGateway = withPolicy({ origin: ['null'] }, ioGateway('/sandbox', 'SandboxGateway'));

@Controller('orders')
@CorsPolicy('partners')
class OrdersController {
  @Get() list() {
    return [];
  }
}

async function listen(
  module: Type,
  adapter: 'socket.io' | 'ws' | 'none',
  logger: LoggerService | false = false,
): Promise<{ app: INestApplication; url: string }> {
  const app = await createPlatformFactoryApp(module, { logger });
  if (adapter === 'socket.io') app.useWebSocketAdapter(new CorsIoAdapter(app));
  if (adapter === 'ws') app.useWebSocketAdapter(new CorsWsAdapter(app));
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

function ioModule(options: CorsModuleOptions = MODULE_OPTIONS): Type {
  @Module({
    imports: [CorsModule.forRoot(options)],
    controllers: [OrdersController],
    providers: [PartnerDirectory, DefaultsGateway, MergedGateway, PartnersGateway, OffGateway, SandboxGateway],
  })
  class IoAppModule {}
  return IoAppModule;
}

beforeEach(() => {
  connections.clear();
  PartnerDirectory.trusted = new Set(['https://db-partner.example.com']);
  PartnerDirectory.failing = false;
});

describeOnPlatforms('CorsIoAdapter: socket.io gateways under the CORS policies', () => {
  let app: INestApplication;
  let url: string;
  const logger = new RecordingLogger();
  beforeAll(async () => {
    ({ app, url } = await listen(ioModule({ ...MODULE_OPTIONS, debug: true }), 'socket.io', logger));
  });
  afterAll(() => app.close());
  afterEach(() => {
    logger.warnings.length = 0;
  });

  describe.each(['websocket', 'polling'] as const)('%s transport', (transport) => {
    it('a trusted origin connects and exchanges messages (module defaults)', async () => {
      const connection = await connectIo(url, '/defaults', APP, transport);
      if (!connection.connected) throw new Error(`refused: ${connection.error}`);
      await expect(askIo(connection.socket, 'orders', 'orders')).resolves.toEqual(['DefaultsGateway: ord-1001']);
      connection.socket.close();
      expect(connected('DefaultsGateway')).toBe(1);
    });

    it('an untrusted origin is refused before any gateway code runs', async () => {
      const connection = await connectIo(url, '/defaults', EVIL, transport);
      expect(connection.connected).toBe(false);
      expect(connected('DefaultsGateway')).toBe(0);
    });

    it('a named policy on a gateway replaces the defaults (partners, from a resolver too)', async () => {
      for (const origin of [PARTNER, 'https://db-partner.example.com']) {
        const connection = await connectIo(url, '/partners', origin, transport);
        if (!connection.connected) throw new Error(`${origin} refused: ${connection.error}`);
        connection.socket.close();
      }
      // The app's origin passes the server (another namespace trusts it) but not this namespace.
      const app = await connectIo(url, '/partners', APP, transport);
      expect(app.connected).toBe(false);
      expect(connected('PartnersGateway')).toBe(2);
    });

    it('@CorsPolicy fields merge over the defaults (origin inherited)', async () => {
      const trusted = await connectIo(url, '/merged', APP, transport);
      expect(trusted.connected).toBe(true);
      if (trusted.connected) trusted.socket.close();
      expect((await connectIo(url, '/merged', PARTNER, transport)).connected).toBe(false);
      expect(connected('MergedGateway')).toBe(1);
    });

    it('@CorsPolicy(false) refuses every origin, but clients without Origin connect', async () => {
      expect((await connectIo(url, '/off', APP, transport)).connected).toBe(false);
      const server = await connectIo(url, '/off', undefined, transport);
      expect(server.connected).toBe(true);
      if (server.connected) server.socket.close();
      expect(connected('OffGateway')).toBe(1);
    });

    it('clients without Origin (server to server) pass; "null" is refused unless listed', async () => {
      const server = await connectIo(url, '/defaults', undefined, transport);
      expect(server.connected).toBe(true);
      if (server.connected) server.socket.close();
      expect((await connectIo(url, '/defaults', 'null', transport)).connected).toBe(false);
      const sandboxed = await connectIo(url, '/sandbox', 'null', transport);
      expect(sandboxed.connected).toBe(true);
      if (sandboxed.connected) sandboxed.socket.close();
      expect(connected('DefaultsGateway')).toBe(1);
      expect(connected('SandboxGateway')).toBe(1);
    });
  });

  it('refuses an untrusted handshake with 403 on both transports', async () => {
    const polling = await request(app.getHttpServer()).get('/socket.io/?EIO=4&transport=polling').set('Origin', EVIL);
    expect(polling.status).toBe(403);
    expect(polling.headers['access-control-allow-origin']).toBeUndefined();
    expect(await ioUpgradeStatus(url, EVIL)).toBe(403);
    expect(await ioUpgradeStatus(url, APP)).toBe(101);
  });

  it('polling responses carry the CORS headers of an HTTP route with the same policy', async () => {
    const server = app.getHttpServer();
    const corsHeaders = (headers: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));
    const route = await request(server).get('/orders').set('Origin', PARTNER);
    const polling = await request(server).get('/socket.io/?EIO=4&transport=polling').set('Origin', PARTNER);
    expect(polling.status).toBe(200);
    // The server's policies are tried in order; the partners' one is the one that trusts PARTNER.
    expect(corsHeaders(polling.headers)).toEqual(corsHeaders(route.headers));
    expect(polling.headers['access-control-allow-origin']).toBe(PARTNER);
    expect(polling.headers['access-control-allow-credentials']).toBe('true');
    const preflight = await request(server)
      .options('/socket.io/?EIO=4&transport=polling')
      .set('Origin', APP)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(APP);
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
  });

  it('debug explains a refused handshake: origin, gateway, policy, reason and fix', async () => {
    await connectIo(url, '/partners', APP, 'websocket');
    const line = logger.warnings.find((warning) => warning.includes('PartnersGateway'));
    expect(line).toMatch(
      /^Refused WebSocket handshake to PartnersGateway \(socket\.io \/socket\.io, namespace \/partners on the HTTP server\)/,
    );
    expect(line).toContain(`origin ${JSON.stringify(APP)}: origin not trusted`);
    expect(line).toContain('Policy: @CorsPolicy on PartnersGateway.');
    expect(line).toMatch(/Fix: add the origin to "origin" \(declared at CorsModule\.forRoot policies\.partners\)/);
  });

  it('the policy map lists the gateways with adapter, path, namespace, policy and sources', () => {
    const gateways = app
      .get(CorsPolicyMap)
      .list()
      .filter((entry) => entry.method === 'WS');
    expect(gateways.map((entry) => entry.handler)).toEqual([
      'DefaultsGateway',
      'MergedGateway',
      'PartnersGateway',
      'OffGateway',
      'SandboxGateway',
    ]);
    const partners = gateways.find((entry) => entry.handler === 'PartnersGateway');
    expect(partners).toMatchObject({
      path: '/socket.io',
      enabled: true,
      gateway: { adapter: 'socket.io', port: 0, namespace: '/partners' },
      fields: { origin: { value: [PARTNER, 'resolver PartnerDirectory'], source: 'CorsModule.forRoot policies.partners' } },
    });
    const merged = gateways.find((entry) => entry.handler === 'MergedGateway');
    expect(merged?.fields?.origin).toEqual({ value: [APP], source: 'CorsModule.forRoot (module defaults)' });
    expect(merged?.fields?.credentials).toEqual({ value: false, source: '@CorsPolicy on MergedGateway' });
    expect(gateways.find((entry) => entry.handler === 'OffGateway')).toMatchObject({
      enabled: false,
      disabledBy: '@CorsPolicy on OffGateway',
    });
    expect(app.get(CorsPolicyMap).toTable()).toMatch(/WS\s+\| \/socket\.io\s+\| PartnersGateway/);
  });
});

describeOnPlatforms('resolvers and CorsOriginCache at the handshake', () => {
  let app: INestApplication;
  let url: string;
  let directory: PartnerDirectory;
  beforeEach(async () => {
    ({ app, url } = await listen(ioModule(), 'socket.io'));
    directory = app.get(PartnerDirectory);
  });
  afterEach(() => app.close());

  it('asks the resolver once per origin within the TTL, whatever the number of handshakes', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const connection = await connectIo(url, '/partners', 'https://db-partner.example.com', attempt % 2 ? 'polling' : 'websocket');
      expect(connection.connected).toBe(true);
      if (connection.connected) connection.socket.close();
    }
    expect(directory.calls).toBe(1);
  });

  it('an invalidated origin is asked again on the next handshake', async () => {
    const origin = 'https://new-partner.example.com';
    expect((await connectIo(url, '/partners', origin, 'websocket')).connected).toBe(false);
    PartnerDirectory.trusted.add(origin);
    expect((await connectIo(url, '/partners', origin, 'websocket')).connected).toBe(false); // cached refusal
    app.get(CorsOriginCache).invalidate(origin);
    const connection = await connectIo(url, '/partners', origin, 'websocket');
    expect(connection.connected).toBe(true);
    if (connection.connected) connection.socket.close();
    expect(directory.calls).toBe(2);
  });

  it('a failing resolver refuses the handshake (fail closed)', async () => {
    PartnerDirectory.failing = true;
    expect((await connectIo(url, '/partners', 'https://db-partner.example.com', 'websocket')).connected).toBe(false);
    expect((await connectIo(url, '/partners', 'https://db-partner.example.com', 'polling')).connected).toBe(false);
    expect(connected('PartnersGateway')).toBe(0);
    // Failures are not cached: once the database is back, the origin connects.
    PartnerDirectory.failing = false;
    expect((await connectIo(url, '/partners', 'https://db-partner.example.com', 'websocket')).connected).toBe(true);
  });
});

describeOnPlatforms('CorsWsAdapter: ws gateways under the CORS policies', () => {
  function wsGateway(path: string, name: string): Type {
    @WebSocketGateway({ path })
    class Gateway implements OnGatewayConnection {
      handleConnection(): void {
        countConnection(name);
      }
      @SubscribeMessage('orders')
      orders() {
        return { event: 'orders', data: [`${name}: ord-1001`] };
      }
    }
    Object.defineProperty(Gateway, 'name', { value: name });
    return Gateway;
  }
  const AppEvents = wsGateway('/ws/app', 'AppEvents');
  const PartnerEvents = withPolicy('partners', wsGateway('/ws/partners', 'PartnerEvents'));
  const Sandbox = withPolicy({ origin: ['null'] }, wsGateway('/ws/sandbox', 'Sandbox'));

  @Module({ imports: [CorsModule.forRoot(MODULE_OPTIONS)], providers: [PartnerDirectory, AppEvents, PartnerEvents, Sandbox] })
  class WsAppModule {}

  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    const listening = await listen(WsAppModule, 'ws');
    app = listening.app;
    base = listening.url.replace(/^http/, 'ws');
  });
  afterAll(() => app.close());

  it('a trusted origin connects and exchanges messages', async () => {
    const connection = await connectWs(`${base}/ws/app`, APP);
    if (!connection.connected) throw new Error(`refused: ${connection.error}`);
    await expect(askWs(connection.socket, 'orders')).resolves.toEqual({ event: 'orders', data: ['AppEvents: ord-1001'] });
    connection.socket.close();
  });

  it('an untrusted origin gets 403 and no gateway code runs', async () => {
    await expect(connectWs(`${base}/ws/app`, EVIL)).resolves.toMatchObject({ connected: false, status: 403 });
    await expect(connectWs(`${base}/ws/partners`, APP)).resolves.toMatchObject({ connected: false, status: 403 });
    expect(connected('AppEvents') + connected('PartnerEvents')).toBe(0);
  });

  it('named policies and resolvers apply per gateway path', async () => {
    for (const origin of [PARTNER, 'https://db-partner.example.com']) {
      const connection = await connectWs(`${base}/ws/partners`, origin);
      expect(connection.connected).toBe(true);
      if (connection.connected) connection.socket.close();
    }
    expect(connected('PartnerEvents')).toBe(2);
  });

  it('clients without Origin pass; "null" is refused unless listed', async () => {
    const server = await connectWs(`${base}/ws/app`, undefined);
    expect(server.connected).toBe(true);
    if (server.connected) server.socket.close();
    await expect(connectWs(`${base}/ws/app`, 'null')).resolves.toMatchObject({ connected: false, status: 403 });
    const sandboxed = await connectWs(`${base}/ws/sandbox`, 'null');
    expect(sandboxed.connected).toBe(true);
    if (sandboxed.connected) sandboxed.socket.close();
  });

  it('the policy map names the ws adapter and the gateway paths', () => {
    const gateways = app
      .get(CorsPolicyMap)
      .list()
      .filter((entry) => entry.method === 'WS');
    expect(gateways.map((entry) => [entry.handler, entry.path, entry.gateway?.adapter])).toEqual([
      ['AppEvents', '/ws/app', 'ws'],
      ['PartnerEvents', '/ws/partners', 'ws'],
      ['Sandbox', '/ws/sandbox', 'ws'],
    ]);
  });
});

describeOnPlatforms('onDecision at the handshake', () => {
  const decisions: CorsDecision[] = [];
  const onDecision = (decision: CorsDecision) => void decisions.push(decision);
  afterEach(() => {
    decisions.length = 0;
  });

  describe.each(['websocket', 'polling'] as const)('socket.io, %s transport', (transport) => {
    let app: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await listen(ioModule({ ...MODULE_OPTIONS, onDecision }), 'socket.io'));
    });
    afterAll(() => app.close());

    it('reports one decision per handshake: allowed for a trusted origin, refused (and why) for another', async () => {
      const trusted = await connectIo(url, '/partners', PARTNER, transport);
      if (!trusted.connected) throw new Error(`refused: ${trusted.error}`);
      trusted.socket.close();
      await connectIo(url, '/partners', EVIL, transport);
      expect(decisions).toEqual([
        expect.objectContaining({
          preflight: false,
          allowed: true,
          origin: PARTNER,
          route: 'PartnersGateway',
          policy: '@CorsPolicy on PartnersGateway',
        }),
        expect.objectContaining({ allowed: false, origin: EVIL, reason: 'origin not trusted' }),
      ]);
    });

    it('reports a refusal in one namespace once, after the server let the origin in for another', async () => {
      await connectIo(url, '/partners', APP, transport);
      expect(decisions).toEqual([
        expect.objectContaining({ allowed: false, origin: APP, route: 'PartnersGateway', reason: 'origin not trusted' }),
      ]);
    });

    it('reports nothing for clients without Origin or gateways with CORS off', async () => {
      const server = await connectIo(url, '/defaults', undefined, transport);
      if (server.connected) server.socket.close();
      await connectIo(url, '/off', APP, transport);
      expect(decisions.filter((decision) => decision.route === 'OffGateway' || decision.origin === undefined)).toEqual([]);
    });
  });

  it('ws: one decision per handshake', async () => {
    @WebSocketGateway({ path: '/ws/decisions' })
    class DecisionEvents {}
    @Module({ imports: [CorsModule.forRoot({ ...MODULE_OPTIONS, onDecision })], providers: [DecisionEvents] })
    class DecisionsWsModule {}
    const { app, url } = await listen(DecisionsWsModule, 'ws');
    try {
      const base = url.replace(/^http/, 'ws');
      const trusted = await connectWs(`${base}/ws/decisions`, APP);
      if (!trusted.connected) throw new Error(`refused: ${trusted.error}`);
      trusted.socket.close();
      await connectWs(`${base}/ws/decisions`, EVIL);
      expect(decisions).toEqual([
        expect.objectContaining({ allowed: true, origin: APP, route: 'DecisionEvents', policy: 'CorsModule.forRoot (module defaults)' }),
        expect.objectContaining({ allowed: false, origin: EVIL, route: 'DecisionEvents', reason: 'origin not trusted' }),
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('apps built with Test.createTestingModule', () => {
  it('CorsIoAdapter checks handshakes there too', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ioModule()] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new CorsIoAdapter(app));
    await app.init();
    try {
      const handshake = (origin: string) => request(app.getHttpServer()).get('/socket.io/?EIO=4&transport=polling').set('Origin', origin);
      expect((await handshake(EVIL)).status).toBe(403);
      const trusted = await handshake(APP);
      expect(trusted.status).toBe(200);
      expect(trusted.headers['access-control-allow-origin']).toBe(APP);
    } finally {
      await app.close();
    }
  });
});

describe('startup checks', () => {
  it('@CorsPolicy on a gateway without CorsIoAdapter or CorsWsAdapter stops the app with the fix', async () => {
    const app = await NestFactory.create(ioModule(), { logger: false });
    try {
      const started = app.init();
      await expect(started).rejects.toThrow(CorsConfigurationError);
      await expect(started).rejects.toThrow(
        /@CorsPolicy on PartnersGateway: option "@CorsPolicy": PartnersGateway is a WebSocket gateway.*app\.useWebSocketAdapter\(new CorsIoAdapter\(app\)\)/,
      );
    } finally {
      await app.close().catch(() => undefined);
    }
  });

  it("a gateway that inherits '*' from the defaults is warned; one that chooses '*' is not", async () => {
    const Inherits = ioGateway('/inherits', 'InheritsGateway');
    const Chooses = withPolicy({ origin: '*' }, ioGateway('/chooses', 'ChoosesGateway'));
    @Module({ imports: [CorsModule.forRoot({ maxAge: 600 })], providers: [Inherits, Chooses] })
    class OpenModule {}
    const logger = new RecordingLogger();
    const { app, url } = await listen(OpenModule, 'socket.io', logger);
    try {
      const warnings = logger.warnings.filter((warning) => warning.includes("inherits origin '*'"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /InheritsGateway inherits origin '\*'.*cross-site WebSocket hijacking.*Fix: give InheritsGateway its own @CorsPolicy/,
      );
      // And '*' means what it says: any origin connects.
      const connection = await connectIo(url, '/inherits', EVIL, 'websocket');
      expect(connection.connected).toBe(true);
      if (connection.connected) connection.socket.close();
    } finally {
      await app.close();
    }
  });

  it('an adapter constructed without the app says how to construct it', () => {
    expect(() => new CorsIoAdapter({} as INestApplication)).toThrow(/new CorsIoAdapter\(app\)/);
  });

  it('every handshake is refused until the policy table is built', () => {
    const gate = new CorsGatewayGate({}, { httpAdapter: undefined } as never);
    const check = gate.checker('ws', gatewayAddress('ws', 0, '/events', undefined), 'server');
    const handshake = (origin?: string) => ({ headers: origin === undefined ? {} : { origin } }) as never;
    expect(check(handshake(APP), true)).toMatchObject({ allowed: false });
    expect(check(handshake(), true)).toMatchObject({ allowed: false });
    gate.activate([]);
    expect(check(handshake(), true)).toMatchObject({ allowed: true });
  });

  it("reads @WebSocketGateway()'s port, path and namespace (Nest-internal metadata, pinned here)", () => {
    @WebSocketGateway(4100, { path: '/live', namespace: 'news' })
    class Live {}
    expect(discoverGateways([{ metatype: Live }, { metatype: OrdersController }, { metatype: Live }])).toEqual([
      { gateway: Live, port: 4100, path: '/live', namespace: 'news' },
    ]);
  });
});
