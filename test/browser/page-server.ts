import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PROBE_PAGE = readFileSync(new URL('./probe.html', import.meta.url), 'utf8');
/** socket.io's browser client, from node_modules, for the WebSocket gateway suite. */
const SOCKET_IO_CLIENT_PATH = '/socket.io.min.js';
const socketIoClient = () => readFileSync(new URL('../../node_modules/socket.io-client/dist/socket.io.min.js', import.meta.url), 'utf8');

/** A tiny web server that serves the probe page: one server per page origin. */
export interface PageServer {
  /** The page's origin, e.g. `http://localhost:41234`. */
  readonly origin: string;
  /** The probe page's URL on this origin. */
  readonly pageUrl: string;
  close(): Promise<void>;
}

/**
 * Serves probe.html on `listenHost` (a loopback address) at a free port. `originHost` is the
 * host name the browser uses, which makes the origin: `localhost` for a server on 127.0.0.1
 * is another origin than `127.0.0.1` itself.
 */
export async function startPageServer(listenHost: string, originHost = listenHost): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === SOCKET_IO_CLIENT_PATH) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(socketIoClient());
      return;
    }
    if (req.method !== 'GET' || (req.url !== '/' && !req.url?.startsWith('/?'))) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(PROBE_PAGE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${originHost}:${port}`;
  return {
    origin,
    pageUrl: `${origin}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
