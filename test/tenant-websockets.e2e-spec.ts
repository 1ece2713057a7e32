/**
 * Issue 27: WebSocket handshakes are scoped by their own request, as HTTP requests are: a
 * Host-scoped resolver trusts acme's origin on acme's host only, cached per (scope, origin).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication, type Type } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { CorsModule, CorsPolicy, type CorsDecision, type CorsOriginResolver, type CorsRequest } from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { CorsWsAdapter } from '../lib/websockets/ws.js';
import { createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';
import { upgradeStatus } from './support/socket-clients.js';

const ACME = 'https://app.acme.example';
const TRUST = new Map([
  ['acme', ACME],
  ['globex', 'https://app.globex.example'],
]);

@Injectable()
class HostOrigins implements CorsOriginResolver {
  readonly calls = new Map<string, number>();
  scope(request: CorsRequest): string | undefined {
    return /^([a-z]+)\.tenants\.test(?::\d+)?$/.exec(request.headers.host ?? '')?.[1];
  }
  isOriginAllowed(origin: string, _request: CorsRequest, scope?: string): boolean {
    const key = `${scope} ${origin}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    return TRUST.get(scope ?? '') === origin;
  }
}

@WebSocketGateway({ path: '/ws/tenant' })
@CorsPolicy({ origin: [HostOrigins] })
class TenantWsGateway {}

@WebSocketGateway({ namespace: 'tenant' })
@CorsPolicy({ origin: [HostOrigins] })
class TenantIoGateway {}

/** The HTTP status of a WebSocket handshake sent with `Origin` and `Host` (101 when accepted). */
const handshake = (url: string, origin: string, host: string): Promise<number> => upgradeStatus(url, origin, undefined, { Host: host });

async function listen(gateway: Type, adapter: 'ws' | 'socket.io', decisions: CorsDecision[]) {
  @Module({
    imports: [CorsModule.forRoot({ origin: false, onDecision: (decision) => void decisions.push(decision) })],
    providers: [HostOrigins, gateway],
  })
  class AppModule {}
  const app = await createPlatformFactoryApp(AppModule, { logger: false });
  app.useWebSocketAdapter(adapter === 'ws' ? new CorsWsAdapter(app) : new CorsIoAdapter(app));
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws') };
}

for (const [adapter, gateway, path] of [
  ['ws', TenantWsGateway, '/ws/tenant'],
  ['socket.io', TenantIoGateway, '/socket.io/?EIO=4&transport=websocket'],
] as const) {
  describeOnPlatforms(`Scoped handshakes through ${adapter === 'ws' ? 'CorsWsAdapter' : 'CorsIoAdapter'}`, () => {
    let app: INestApplication;
    let url: string;
    const decisions: CorsDecision[] = [];
    beforeAll(async () => {
      ({ app, url } = await listen(gateway, adapter, decisions));
    });
    afterAll(() => app.close());

    it('acme\u2019s origin connects on acme\u2019s host and is refused on globex\u2019s after the answer is cached', async () => {
      expect(await handshake(`${url}${path}`, ACME, 'acme.tenants.test')).toBe(101);
      expect(await handshake(`${url}${path}`, ACME, 'acme.tenants.test')).toBe(101);
      expect(await handshake(`${url}${path}`, ACME, 'globex.tenants.test')).toBe(403);
      expect(await handshake(`${url}${path}`, ACME, 'unknown-host.test')).toBe(403);
      const resolver = app.get(HostOrigins);
      expect(resolver.calls.get(`acme ${ACME}`)).toBe(1);
      expect(resolver.calls.get(`globex ${ACME}`)).toBe(1);
      const refused = decisions.filter((decision) => !decision.allowed);
      expect(refused.map((decision) => [decision.reason, decision.scope])).toEqual([
        ['origin not trusted', 'globex'],
        ['no scope', undefined],
      ]);
    });
  });
}
