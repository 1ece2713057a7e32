/**
 * socket.io dynamic namespaces (issue 25): a gateway declared with a RegExp or a function
 * namespace gets its own policy in each namespace it serves, on both transports, and the
 * server-wide check (which lets in any origin some gateway trusts) never admits an origin into
 * a namespace whose policy refuses it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplication, type Type } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { CorsModule, CorsPolicy, type CorsDecision } from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';
import { askIo, connectIo } from './support/socket-clients.js';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.org';
const EVIL = 'https://evil.example.net';

const connections: string[] = [];
const decisions: CorsDecision[] = [];

function gateway(
  namespace: string | RegExp | ((name: string, auth: unknown, next: (error: Error | null, ok: boolean) => void) => void),
  name: string,
): Type {
  @WebSocketGateway({ namespace })
  class Gateway implements OnGatewayConnection {
    handleConnection(): void {
      connections.push(name);
    }
    @SubscribeMessage('orders')
    orders() {
      return { event: 'orders', data: [`${name}: ord-1`] };
    }
  }
  Object.defineProperty(Gateway, 'name', { value: name });
  return Gateway;
}

const Tenants = gateway(/^\/tenant-\w+$/, 'TenantsGateway');
CorsPolicy({ origin: [APP], credentials: true })(Tenants);
const Shops = gateway((name, _auth, next) => next(null, name.startsWith('/shop-')), 'ShopsGateway');
CorsPolicy({ origin: [APP] })(Shops);
const Public = gateway('/public', 'PublicGateway');
CorsPolicy({ origin: '*' })(Public);
const Partners = gateway('/partners', 'PartnersGateway');
CorsPolicy({ origin: [PARTNER] })(Partners);

@Module({
  imports: [CorsModule.forRoot({ origin: [APP], onDecision: (decision) => void decisions.push(decision) })],
  providers: [Tenants, Shops, Public, Partners],
})
class NamespacesModule {}

beforeEach(() => {
  connections.length = 0;
  decisions.length = 0;
});

describeOnPlatforms('socket.io dynamic namespaces under their gateway policy', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    app = await createPlatformFactoryApp(NamespacesModule, { logger: false });
    app.useWebSocketAdapter(new CorsIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    // A closed polling client still sends its close packet: let it land before the server goes away.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await app.close();
  });

  describe.each(['websocket', 'polling'] as const)('%s transport', (transport) => {
    it.each(['/tenant-a', '/shop-1'])(
      '%s: an origin a public gateway next to it admits is refused there, before handleConnection',
      async (namespace) => {
        const evil = await connectIo(url, namespace, EVIL, transport);
        expect(evil).toMatchObject({ connected: false });
        expect(connections).toEqual([]);
      },
    );

    it.each(['/tenant-a', '/shop-1'])('%s: the partner another gateway trusts is refused there', async (namespace) => {
      expect(await connectIo(url, namespace, PARTNER, transport)).toMatchObject({ connected: false });
      expect(connections).toEqual([]);
    });

    it.each(['/tenant-a', '/tenant-b', '/shop-1'])('%s: the trusted origin connects and talks to its gateway', async (namespace) => {
      const trusted = await connectIo(url, namespace, APP, transport);
      if (!trusted.connected) throw new Error(`refused: ${trusted.error}`);
      const gatewayName = namespace.startsWith('/tenant') ? 'TenantsGateway' : 'ShopsGateway';
      expect(await askIo(trusted.socket, 'orders', 'orders')).toEqual([`${gatewayName}: ord-1`]);
      trusted.socket.close();
      expect(connections).toEqual([gatewayName]);
    });

    it('the public and partner namespaces keep their own policies', async () => {
      const open = await connectIo(url, '/public', EVIL, transport);
      if (!open.connected) throw new Error(`refused: ${open.error}`);
      open.socket.close();
      const partner = await connectIo(url, '/partners', PARTNER, transport);
      if (!partner.connected) throw new Error(`refused: ${partner.error}`);
      partner.socket.close();
      expect(connections).toEqual(['PublicGateway', 'PartnersGateway']);
    });

    it('reports one decision per handshake, naming the dynamic gateway', async () => {
      await connectIo(url, '/tenant-a', EVIL, transport);
      const trusted = await connectIo(url, '/tenant-a', APP, transport);
      if (trusted.connected) trusted.socket.close();
      expect(decisions.map(({ allowed, origin, route }) => ({ allowed, origin, route }))).toEqual([
        { allowed: false, origin: EVIL, route: 'TenantsGateway' },
        { allowed: true, origin: APP, route: 'TenantsGateway' },
      ]);
    });
  });
});
