import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { VerifyClientCallbackAsync } from 'ws';
import type { CorsGatewayGate } from './cors-gateway-gate.js';
import { gatewayAddress } from './gateway-address.js';
import { gateOfApp } from './gate-of-app.js';

type WsAdapterOptions = ConstructorParameters<typeof WsAdapter>[1];
type GatewayServerOptions = Record<string, unknown> & { path?: string; verifyClient?: unknown };

/**
 * Nest's `WsAdapter` (`@nestjs/platform-ws`) with the app's CORS policies at the handshake:
 * `verifyClient` refuses, with 403, an origin that the gateway's policy does not trust, before
 * the gateway sees the connection. Requests without `Origin` pass.
 *
 * @example
 * ```ts
 * import { CorsWsAdapter } from 'nestjs-cors-policy/ws';
 * app.useWebSocketAdapter(new CorsWsAdapter(app));
 * ```
 */
export class CorsWsAdapter extends WsAdapter {
  private readonly gate: CorsGatewayGate;

  /**
   * @param app the Nest application, with `CorsModule` imported.
   * @param options `WsAdapter`'s options (`messageParser`).
   */
  constructor(app: INestApplicationContext, options?: WsAdapterOptions) {
    super(app, options);
    this.gate = gateOfApp(app, 'CorsWsAdapter', 'ws');
  }

  /** Creates a gateway's `ws` server with the handshake check as `verifyClient`. */
  override create(port: number, options?: GatewayServerOptions): unknown {
    const address = gatewayAddress('ws', port, options?.path, undefined);
    const check = this.gate.checker('ws', address, 'server');
    const own = options?.verifyClient as VerifyClientCallbackAsync | undefined;
    const verifyClient: VerifyClientCallbackAsync = (info, callback) => {
      const refuse = () => callback(false, 403, 'Forbidden by the CORS policy');
      const decide = (allowed: boolean) => (!allowed ? refuse() : own === undefined ? callback(true) : own(info, callback));
      const verdict = check(info.req, true);
      if (verdict instanceof Promise) verdict.then((settled) => decide(settled.allowed), refuse);
      else decide(verdict.allowed);
    };
    const created = super.create(port, { ...options, verifyClient }) as unknown;
    // A gateway on its own port: the adapter made that HTTP server, whose upgrades are guarded too.
    this.gate.registerServer('ws', address, this.httpServersRegistry.get(port));
    return created;
  }
}
