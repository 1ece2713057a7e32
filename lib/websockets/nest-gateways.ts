/**
 * What Nest's `@WebSocketGateway()` stores on a gateway class, read without importing
 * `@nestjs/websockets` (an optional peer). Nest-internal knowledge, kept in this one file and
 * pinned by test/websockets.e2e-spec.ts against the real decorator.
 */
const GATEWAY_METADATA = 'websockets:is_gateway';
export const GATEWAY_OPTIONS = 'websockets:gateway_options';
const PORT_METADATA = 'port';

/** One `@WebSocketGateway()` class with the options that place its server. */
export interface DiscoveredGateway {
  readonly gateway: Function;
  /** `0`: attached to the app's HTTP server. */
  readonly port: number;
  /** The `path` option as written (`undefined`: the transport's default). */
  readonly path: string | undefined;
  /** socket.io namespace: a string, a `RegExp` or a function (dynamic namespaces), or `undefined` (`/`). */
  readonly namespace: unknown;
}

interface GatewayOptions {
  readonly path?: unknown;
  readonly namespace?: unknown;
}

/** The gateway classes among the app's providers, each once. */
export function discoverGateways(providers: Iterable<{ readonly metatype?: unknown }>): DiscoveredGateway[] {
  const seen = new Set<Function>();
  const gateways: DiscoveredGateway[] = [];
  for (const { metatype } of providers) {
    if (typeof metatype !== 'function' || seen.has(metatype)) continue;
    if (Reflect.getMetadata(GATEWAY_METADATA, metatype) !== true) continue;
    seen.add(metatype);
    const options = (Reflect.getMetadata(GATEWAY_OPTIONS, metatype) ?? {}) as GatewayOptions;
    const port = Reflect.getMetadata(PORT_METADATA, metatype) as unknown;
    gateways.push({
      gateway: metatype,
      port: typeof port === 'number' ? port : 0,
      path: typeof options.path === 'string' ? options.path : undefined,
      namespace: options.namespace,
    });
  }
  return gateways;
}
