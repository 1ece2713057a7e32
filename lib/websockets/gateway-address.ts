/** The two adapters of this library: `CorsIoAdapter` (socket.io) and `CorsWsAdapter` (`ws`). */
export type CorsGatewayTransport = 'socket.io' | 'ws';

/** Where a gateway's handshakes arrive: the server (port and path) and, for socket.io, the namespace. */
export interface GatewayAddress {
  readonly port: number;
  /** Normalised: leading slash, no trailing slash (`/socket.io`, `/`, `/events`). */
  readonly path: string;
  /** socket.io namespace (`/`, `/partners`); `undefined` for `ws`, and for dynamic namespaces (`RegExp`, function). */
  readonly namespace: string | undefined;
}

/** Where each transport serves a gateway that sets no `path`. */
const DEFAULT_PATHS: Readonly<Record<CorsGatewayTransport, string>> = { 'socket.io': '/socket.io', ws: '/' };

/**
 * The address of a gateway as the adapter sees it, from the options Nest passes to `create()`
 * (the same ones `@WebSocketGateway()` stored), so that both sides compute the same key.
 */
export function gatewayAddress(transport: CorsGatewayTransport, port: number, path: unknown, namespace: unknown): GatewayAddress {
  return {
    port,
    path: normalizePath(typeof path === 'string' ? path : DEFAULT_PATHS[transport]),
    namespace: namespaceName(transport, namespace),
  };
}

/** Same server: handshakes of every namespace on it go through one engine. */
export function sameServer(a: GatewayAddress, b: GatewayAddress): boolean {
  return a.port === b.port && a.path === b.path;
}

/** How the policy map and explanations name a gateway's address. */
export function describeAddress(transport: CorsGatewayTransport, address: GatewayAddress, dynamicNamespace = false): string {
  const port = address.port === 0 ? 'the HTTP server' : `port ${address.port}`;
  const namespace = transport === 'ws' ? '' : dynamicNamespace ? ', dynamic namespace' : `, namespace ${address.namespace ?? '/'}`;
  return `${transport} ${address.path}${namespace} on ${port}`;
}

function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed || '/' : `/${trimmed}`;
}

function namespaceName(transport: CorsGatewayTransport, namespace: unknown): string | undefined {
  if (transport === 'ws') return undefined;
  if (namespace === undefined || namespace === '') return '/';
  return typeof namespace === 'string' ? (namespace.startsWith('/') ? namespace : `/${namespace}`) : undefined;
}
