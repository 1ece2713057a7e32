import { io, type Socket } from 'socket.io-client';
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

/** The HTTP status of a WebSocket handshake to `url` sent with `Origin` and `headers` (101 when accepted, 0 on a network error). */
export function upgradeStatus(url: string, origin: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { origin, headers });
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
