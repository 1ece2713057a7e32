import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An app with an HTTP server (a Nest `INestApplication`), or the server itself. */
export type CorsTestTarget = Server | { getHttpServer(): unknown };

/** One request as sent and its answer as received. */
export interface CorsExchange {
  readonly method: string;
  /** The path and query as requested. */
  readonly path: string;
  /** The headers sent (as the browser would send them, `Origin` included). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly status: number;
  /** Response headers, lower-case names, repeated fields combined with `, ` (as Fetch reads them). */
  readonly headers: Readonly<Partial<Record<string, string>>>;
  /** The response body, as text. */
  readonly body: string;
}

/** The HTTP server of a Nest app, or the server itself; throws an `Error` for anything else. */
export function serverOf(target: CorsTestTarget): Server {
  const server = 'getHttpServer' in target ? target.getHttpServer() : target;
  if (typeof server !== 'object' || server === null || typeof (server as Partial<Server>).listen !== 'function') {
    throw new Error('nestjs-cors-policy/testing: pass a Nest application (after app.init()) or its HTTP server');
  }
  return server as Server;
}

/** Servers the kit made listen, with the number of fetches using them, so that concurrent fetches share one port. */
const opened = new WeakMap<Server, { users: number; ready: Promise<void> }>();

/**
 * Runs `use` with the server's address: a server that does not listen yet (a
 * `Test.createTestingModule` app after `init()`) listens on a free loopback port while
 * fetches use it, as supertest does, and is closed after the last one.
 */
export async function withAddress<T>(server: Server, use: (host: string, port: number) => Promise<T>): Promise<T> {
  let mine = opened.get(server);
  if (mine === undefined && server.listening) {
    const address = server.address() as AddressInfo;
    const host = address.address === '::' || address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
    return use(host, address.port);
  }
  if (mine === undefined) {
    mine = { users: 0, ready: listen(server) };
    opened.set(server, mine);
  }
  mine.users++;
  try {
    await mine.ready;
    return await use('127.0.0.1', (server.address() as AddressInfo).port);
  } finally {
    if (--mine.users === 0) {
      opened.delete(server);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}

function listen(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Where and how one request goes: `timeoutMs` bounds the whole exchange, `label` names it in the timeout's message. */
export interface ExchangeTarget {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly label: string;
  readonly hint: string;
}

/**
 * Sends one request with node:http (which, unlike fetch, lets a test set `Origin`). An answer
 * that has not ended within `timeoutMs` rejects with an `Error` naming the request: a test
 * never hangs on an app that does not answer.
 */
export function exchange(
  { host, port, timeoutMs, label, hint }: ExchangeTarget,
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: string | Uint8Array | undefined,
): Promise<CorsExchange> {
  const sent: Record<string, string> = { ...headers };
  if (body !== undefined) sent['Content-Length'] = String(Buffer.byteLength(body));
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<CorsExchange>((resolve, reject) => {
    const req = httpRequest({ host, port, method, path, headers: sent, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        resolve({
          method,
          path,
          requestHeaders: sent,
          status: res.statusCode ?? 0,
          headers: combineHeaders(res.rawHeaders),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    // Destroying the request makes it emit 'error' too: the promise has been rejected by then.
    timer = setTimeout(() => {
      reject(new Error(`nestjs-cors-policy/testing: ${method} ${path}${label} got no answer within ${timeoutMs} ms; ${hint}`));
      req.destroy();
    }, timeoutMs);
    req.on('error', reject);
    req.end(body);
  }).finally(() => clearTimeout(timer));
}

/** Fetch "get": every value of a field, in order, joined with `, ` (so two `Access-Control-Allow-Origin` never match an origin). */
function combineHeaders(raw: readonly string[]): Partial<Record<string, string>> {
  const headers: Partial<Record<string, string>> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    const known = Object.hasOwn(headers, name) ? headers[name] : undefined;
    headers[name] = known === undefined ? value : `${known}, ${value}`;
  }
  return headers;
}
