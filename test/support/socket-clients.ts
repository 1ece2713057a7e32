import { io, type Socket } from 'socket.io-client';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** What a client got from a handshake: a connected socket, or the reason it was refused. */
export type Connection<T> = { readonly connected: true; readonly socket: T } | { readonly connected: false; readonly error: string };

/** A socket.io client that sends `Origin` (as a browser does) on the chosen transport, without reconnecting. */
export function connectIo(
  url: string,
  namespace: string,
  origin: string | undefined,
  transport: 'websocket' | 'polling',
): Promise<Connection<Socket>> {
  const socket = io(`${url}${namespace}`, {
    transports: [transport],
    extraHeaders: origin === undefined ? {} : { Origin: origin },
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ connected: true, socket }));
    socket.once('connect_error', (error) => {
      socket.close();
      resolve({ connected: false, error: error.message });
    });
  });
}

/** Sends a gateway message and waits for the reply event (socket.io). */
export function askIo(socket: Socket, event: string, reply: string): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once(reply, resolve);
    socket.emit(event, {});
  });
}

/** A raw `ws` client sending `Origin`; refused handshakes resolve with the HTTP status. */
export function connectWs(url: string, origin: string | undefined): Promise<Connection<WebSocket> & { status?: number }> {
  const socket = new WebSocket(url, origin === undefined ? {} : { origin });
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ connected: true, socket }));
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      resolve({ connected: false, error: `HTTP ${response.statusCode}`, status: response.statusCode });
    });
    socket.once('error', (error) => resolve({ connected: false, error: error.message }));
  });
}

/** Sends a Nest `ws` gateway message (`{ event, data }`) and waits for the next reply. */
export function askWs(socket: WebSocket, event: string): Promise<unknown> {
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString())));
    socket.send(JSON.stringify({ event, data: {} }));
  });
}

/** The status of a raw socket.io websocket-transport handshake (101 when accepted). */
export function ioUpgradeStatus(url: string, origin: string): Promise<number> {
  return upgradeStatus(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, origin);
}

/** What a `graphql-ws` client got from one subscription: the data it received, or why it failed. */
export type SubscriptionResult = { readonly ok: true; readonly received: unknown[] } | { readonly ok: false; readonly error: string };

/**
 * Subscribes with `graphql-ws`'s own client over a `ws` socket that sends `Origin` (and a
 * cookie) as a browser page does; resolves when the subscription completes or fails.
 */
export function subscribeGraphql(url: string, origin: string | undefined, query: string, cookie?: string): Promise<SubscriptionResult> {
  class BrowserLikeSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { origin, headers: cookie === undefined ? {} : { cookie } });
    }
  }
  const client = createClient({ url, webSocketImpl: BrowserLikeSocket, retryAttempts: 0, lazy: true });
  const received: unknown[] = [];
  return new Promise((resolve) => {
    client.subscribe(
      { query },
      {
        next: (value) => void received.push(value.data),
        error: (error: unknown) => {
          void client.dispose();
          resolve({ ok: false, error: error instanceof Error ? error.message : String((error as { type?: string }).type ?? error) });
        },
        complete: () => {
          void client.dispose();
          resolve({ ok: true, received });
        },
      },
    );
  });
}

/**
 * The status of a raw WebSocket handshake to `url` (101 when accepted), optionally with
 * subprotocols and extra headers (a `Host` of another name, as a DNS-rebinding page sends).
 */
export function upgradeStatus(
  url: string,
  origin: string | undefined,
  protocols?: string[],
  headers?: Record<string, string>,
): Promise<number> {
  const socket = new WebSocket(url, protocols, { ...(origin === undefined ? {} : { origin }), headers });
  return new Promise((resolve) => {
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', () => resolve(0));
  });
}
