import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';

/** Judges one upgrade: calls `pass` to let every `upgrade` listener see it, or answers the socket itself. */
export type UpgradeJudge = (request: IncomingMessage, socket: Duplex, pass: () => void) => void;

interface EmittingServer {
  emit: (event: string | symbol, ...args: unknown[]) => boolean;
  listenerCount(event: string | symbol): number;
  on(event: 'newListener', listener: (event: string | symbol) => void): unknown;
  removeListener(event: 'newListener', listener: (event: string | symbol) => void): unknown;
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
  if (typeof target?.emit !== 'function' || typeof target.on !== 'function' || target[INTERCEPTED] === true) return false;
  const marked = target as MarkedServer;
  marked[INTERCEPTED] = true;
  if (marked.listenerCount('upgrade') > 0) wrapEmit(marked, judge);
  else {
    // No upgrade listener yet: an app without WebSockets keeps Node's own `emit` (nothing per request).
    // 'newListener' fires before a listener is added, so the first `upgrade` listener is behind the gate.
    const onNewListener = (event: string | symbol) => {
      if (event !== 'upgrade') return;
      marked.removeListener('newListener', onNewListener);
      wrapEmit(marked, judge);
    };
    marked.on('newListener', onNewListener);
  }
  return true;
}

/** Puts `judge` in front of the server's emit of `upgrade`; every other event goes on as it came. */
function wrapEmit(marked: MarkedServer, judge: UpgradeJudge): void {
  const emit = marked.emit;
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
}

/** The answer to a refused upgrade: 403, then the socket is closed (no listener ever sees it). */
export function refuseUpgrade(socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
}
