import type { CorsConfigurationProblem } from '../policy/cors-configuration.error.js';
import { gatewayAddress } from './gateway-address.js';
import type { GatewayCheckContext } from './gateway-policies.js';
import { GATEWAY_OPTIONS, type DiscoveredGateway } from './nest-gateways.js';

/** Gateway options through which the app checks handshakes itself (socket.io's `allowRequest`, ws's `verifyClient`). */
const OWN_HANDSHAKE_CHECKS = ['allowRequest', 'verifyClient'] as const;

/**
 * The warning for gateways that no adapter of this library serves: Nest's own `IoAdapter` (its
 * default) and `WsAdapter` accept a handshake from any `Origin`. The upgrade gate still judges
 * websocket upgrades on the app's HTTP server (by the module defaults), but not socket.io's
 * polling requests nor a gateway's own port, where a page on any site connects with the user's cookies. A warning, not an error: an app may serve them with an adapter of its own
 * that checks `Origin`. Gateways whose options check handshakes themselves are left out.
 */
export function uncheckedGatewayWarning(
  gateways: readonly DiscoveredGateway[],
  context: GatewayCheckContext,
): CorsConfigurationProblem | undefined {
  if (!context.servesGateways) return undefined;
  const transport = context.gate.transport ?? 'socket.io';
  const unchecked = gateways.filter(
    ({ gateway, port, path, namespace }) =>
      !checksOwnHandshakes(gateway) && context.gate.servedBy(gatewayAddress(transport, port, path, namespace)) === undefined,
  );
  if (unchecked.length === 0) return undefined;
  const names = unchecked.map(({ gateway }) => gateway.name).join(', ');
  return {
    option: 'app.useWebSocketAdapter',
    declaredAt: `@WebSocketGateway on ${names}`,
    problem:
      `${names} ${unchecked.length === 1 ? 'is' : 'are'} served by a WebSocket adapter that checks no Origin (Nest's IoAdapter, its default, or WsAdapter): ` +
      "the upgrade gate judges their websocket handshakes on the app's HTTP server by the module defaults alone (no @CorsPolicy applies), " +
      "and nothing checks socket.io's polling transport or a gateway on a port of its own: a page on any site can connect there with the user's cookies (cross-site WebSocket hijacking)",
    fix:
      "add to main.ts, before app.listen(): app.useWebSocketAdapter(new CorsIoAdapter(app)) with import { CorsIoAdapter } from 'nestjs-cors-policy/socket.io' " +
      "(or new CorsWsAdapter(app) from 'nestjs-cors-policy/ws' for @nestjs/platform-ws); the gateways then get the module defaults or their own @CorsPolicy",
  };
}

function checksOwnHandshakes(gateway: Function): boolean {
  const options = (Reflect.getMetadata(GATEWAY_OPTIONS, gateway) ?? {}) as Record<string, unknown>;
  return OWN_HANDSHAKE_CHECKS.some((name) => typeof options[name] === 'function');
}
