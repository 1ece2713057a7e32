import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CompileReport } from '../policy/policy-compiler.js';
import type { CorsGatewayGate, GatewayEntry } from './cors-gateway-gate.js';
import { gatewayAddress } from './gateway-address.js';
import type { DiscoveredGateway } from './nest-gateways.js';

/** A gateway's merged policy, and whether the gateway declares its own `@CorsPolicy`. */
export interface GatewayPolicy {
  readonly policy: CompiledPolicy;
  readonly declared: boolean;
}

/** What the startup checks need to know about the app. */
export interface GatewayCheckContext {
  readonly gate: CorsGatewayGate;
  /** A Nest application (not an application context): it serves gateways. */
  readonly servesGateways: boolean;
  /** How the module defaults are named in `sources`, to tell an inherited `'*'` from a chosen one. */
  readonly defaultsLabel: string;
}

/**
 * Compiles every gateway's policy (merged over the module defaults like a controller's) and
 * runs the startup checks: a `@CorsPolicy` on a gateway that no adapter of this library serves
 * is an error (it would protect nothing); a checked gateway that inherits `'*'` is warned.
 */
export function compileGateways(
  gateways: readonly DiscoveredGateway[],
  policyOf: (gateway: Function) => GatewayPolicy,
  context: GatewayCheckContext,
  report: CompileReport,
): GatewayEntry[] {
  const transport = context.gate.transport ?? 'socket.io';
  return gateways.map(({ gateway, port, path, namespace }) => {
    const declaredAt = `@CorsPolicy on ${gateway.name}`;
    // The explorer compiles each gateway's declaration on its own: the policy names this gateway.
    const { policy, declared } = policyOf(gateway);
    const address = gatewayAddress(transport, port, path, namespace);
    const served = context.gate.servedBy(address) !== undefined;
    if (declared && !served && context.servesGateways) {
      report.errors.push({
        option: '@CorsPolicy',
        declaredAt,
        problem: `${gateway.name} is a WebSocket gateway, and its handshakes are checked only by CorsIoAdapter or CorsWsAdapter, neither of which serves it`,
        fix:
          "install the adapter in main.ts before app.listen(): app.useWebSocketAdapter(new CorsIoAdapter(app)) with import { CorsIoAdapter } from 'nestjs-cors-policy/socket.io' " +
          "(or new CorsWsAdapter(app) from 'nestjs-cors-policy/ws' for @nestjs/platform-ws)",
      });
    }
    const source = policy.sources.origin;
    if (served && policy.enabled && policy.wildcard && (source === undefined || source === context.defaultsLabel)) {
      report.warnings.push({
        option: 'origin',
        declaredAt: source ?? `${context.defaultsLabel} (the \`cors\` package default)`,
        problem: `the WebSocket gateway ${gateway.name} inherits origin '*': any site can open a socket to it with the user's cookies (cross-site WebSocket hijacking)`,
        fix: `give ${gateway.name} its own @CorsPolicy({ origin: [...] }) or a named policy, or write @CorsPolicy({ origin: '*' }) on it if every site may connect`,
      });
    }
    const dynamicNamespace = transport === 'socket.io' && address.namespace === undefined;
    return { label: gateway.name, address, dynamicNamespace, declaredNamespace: namespace, policy };
  });
}
