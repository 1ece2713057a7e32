import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';

/** Judges one upgrade: calls `pass` to let every `upgrade` listener see it, or answers the socket itself. */
export type UpgradeJudge = (request: IncomingMessage, socket: Duplex, pass: () => void) => void;

interface EmittingServer {
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

const INTERCEPTED = Symbol('nestjs-cors-policy:upgrades-intercepted');
type MarkedServer = EmittingServer & { [INTERCEPTED]?: true };

/**
 * Puts `judge` in front of every `upgrade` listener of `server`, those added before and after.
 *
 * Why wrapping `emit` rather than owning the listener list: Node's HTTP server hands an upgrade
 * to `server.emit('upgrade', ...)` once, and every listener (Apollo's and Mercurius's `ws`
 * servers, `@fastify/websocket`, `new WebSocketServer({ server })`, `server.on('upgrade')`,
 * engine.io, `prependListener` included) is reached only through it. Owning the list would
 * mean intercepting `on`, `addListener`, `prependListener`, `once`, `off`, `removeListener`,
 * `removeAllListeners`, `listeners` and `listenerCount` so that libraries still find and remove
 * their own listener; one wrapper has none of that surface. Every other event goes straight
 * to the original `emit` with the same arguments: one comparison and one call per HTTP request.
 */
export function interceptUpgrades(server: unknown, judge: UpgradeJudge): boolean {
  const target = server as Partial<MarkedServer> | undefined;
  if (typeof target?.emit !== 'function' || target[INTERCEPTED] === true) return false;
  const emit = target.emit;
  const marked = target as MarkedServer;
  marked[INTERCEPTED] = true;
  marked.emit = function (this: EmittingServer, event: string | symbol, first?: unknown, second?: unknown): boolean {
    // An HTTP request, the hot path, goes straight on: Node emits it with exactly (req, res).
    if (event === 'request') return emit.call(this, event, first, second);
    // `arguments`, not rest parameters: every other event keeps its arguments as they came.
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as [string, ...unknown[]];
    if (event !== 'upgrade') return emit.apply(this, args);
    const socket = second as Duplex;
    judge(first as IncomingMessage, socket, () => {
      if (!socket.destroyed) emit.apply(this, args);
    });
    return true;
  };
  return true;
}

/** The answer to a refused upgrade: 403, then the socket is closed (no listener ever sees it). */
export function refuseUpgrade(socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
}
