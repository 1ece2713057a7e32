import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Namespace, Server, ServerOptions } from 'socket.io';
import type { CorsGatewayGate, HandshakeCheck } from './cors-gateway-gate.js';
import { gatewayAddress } from './gateway-address.js';
import { gateOfApp } from './gate-of-app.js';
import { pollingCors } from './polling-cors.js';

type AllowRequest = NonNullable<ServerOptions['allowRequest']>;
type GatewayServerOptions = Partial<ServerOptions> & { namespace?: unknown; server?: Server };

/**
 * Nest's `IoAdapter` with the app's CORS policies at the handshake: an origin that the
 * gateway's policy (its `@CorsPolicy`, merged over the module defaults) does not trust is
 * refused with 403 before any gateway code runs, on the websocket and the polling transport,
 * and polling responses get the CORS headers of HTTP routes with that policy. Requests without
 * `Origin` (server-to-server clients) pass. The gateway's own `cors` option is replaced.
 *
 * @example
 * ```ts
 * import { CorsIoAdapter } from 'nestjs-cors-policy/socket.io';
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new CorsIoAdapter(app));
 * await app.listen(3000);
 * ```
 */
export class CorsIoAdapter extends IoAdapter {
  private readonly gate: CorsGatewayGate;
  private readonly gatedNamespaces = new WeakSet();

  /** @param app the Nest application, with `CorsModule` imported. */
  constructor(app: INestApplicationContext) {
    super(app);
    this.gate = gateOfApp(app, 'CorsIoAdapter', 'socket.io');
  }

  /** Creates the server or namespace of one gateway, with the namespace's own check in front of its gateway. */
  // Typed as the base class types it: `Server` on NestJS 11, `Server | Namespace` on 12.
  override create(port: number, options?: GatewayServerOptions): ReturnType<IoAdapter['create']> {
    const created = super.create(port, options as Parameters<IoAdapter['create']>[1]);
    const address = gatewayAddress('socket.io', port, options?.path, options?.namespace);
    // A gateway on its own port: socket.io made that HTTP server, whose upgrades are guarded too.
    const io = (created as Partial<Namespace>).server ?? (created as Server);
    this.gate.registerServer('socket.io', address, io.httpServer);
    // Every namespace gets its gateways' check, a dynamic one (RegExp, function) too: socket.io copies a
    // parent namespace's middleware into each child it creates, so each tenant-a, tenant-b... is checked.
    if (!this.gatedNamespaces.has(created)) {
      this.gatedNamespaces.add(created);
      const check = this.gate.checker('socket.io', address, 'namespace', options?.namespace);
      // Runs before the namespace's "connection" event, hence before handleConnection.
      created.use((socket, next) => {
        settle(check(socket.request, true), (allowed) => next(allowed ? undefined : new Error('Forbidden by the CORS policy')));
      });
    }
    return created;
  }

  /** Creates the socket.io server with `allowRequest` (the handshake gate) and the polling transport's CORS. */
  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const { allowRequest: own, ...rest } = options ?? {};
    const check = this.gate.checker('socket.io', gatewayAddress('socket.io', port, options?.path, undefined), 'server');
    const server = super.createIOServer(port, {
      ...rest,
      // The CORS policy decides, not a second origin list: the gateway's own `cors` option is dropped.
      cors: undefined,
      allowRequest: gateRequests(check, own),
    } as ServerOptions);
    server.engine.use(pollingCors(check));
    return server;
  }
}

/** engine.io's `allowRequest`: refused handshakes get 403, on the polling and the websocket transport. */
function gateRequests(check: HandshakeCheck, own: AllowRequest | undefined): AllowRequest {
  return (req, callback) => {
    settle(check(req, true), (allowed) => {
      if (!allowed) {
        refuseUpgrade(req);
        return callback('Forbidden by the CORS policy', false);
      }
      if (own === undefined) return callback(null, true);
      own(req, callback);
    });
  };
}

/** engine.io answers a refused upgrade with 400; write the 403 first (it then finds the socket closed). */
function refuseUpgrade(req: IncomingMessage): void {
  if (req.headers.upgrade === undefined || !req.socket.writable) return;
  req.socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

function settle(verdict: ReturnType<HandshakeCheck>, then: (allowed: boolean) => void): void {
  if (verdict instanceof Promise)
    verdict.then(
      (settled) => then(settled.allowed),
      () => then(false),
    );
  else then(verdict.allowed);
}
