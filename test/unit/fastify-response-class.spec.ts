import { createServer, request, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { appendVary, setCorsHeader } from '../../lib/headers/vary.js';
import { installCorsResponseClass } from '../../lib/fastify/fastify-response-class.js';

type Handler = (res: ServerResponse) => void;

interface Answer {
  /** The response's header lines as sent, names lower-cased, in order. */
  readonly lines: Array<[string, string]>;
  readonly status: number;
}

/** One request to a server whose handler decides CORS headers for an allowed origin, then runs `then`. */
async function answer(server: Server, then: Handler): Promise<Answer> {
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    appendVary(res, 'Origin');
    setCorsHeader(res, 'Access-Control-Allow-Origin', 'https://app.example.com');
    setCorsHeader(res, 'Access-Control-Allow-Credentials', 'true');
    then(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise<Answer>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        const lines: Array<[string, string]> = [];
        for (let index = 0; index < res.rawHeaders.length; index += 2)
          lines.push([res.rawHeaders[index].toLowerCase(), res.rawHeaders[index + 1]]);
        res.on('end', () => resolve({ lines, status: res.statusCode ?? 0 }));
      })
        .on('error', reject)
        .end();
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function serverWithClass(): Server {
  const server = createServer();
  expect(installCorsResponseClass(server)).toBe(true);
  return server;
}

/** The values of one header, one per line sent. */
function valuesOf({ lines }: Answer, name: string): string[] {
  return lines.filter(([key]) => key === name).map(([, value]) => value);
}

describe('installCorsResponseClass (a Fastify app writes the CORS headers with the head)', () => {
  it('writes them with a header object given to writeHead (as Fastify does), which it does not change', async () => {
    const fastifyHeaders = { 'content-type': 'text/plain', vary: 'Accept' };
    const sent = await answer(serverWithClass(), (res) => {
      res.writeHead(200, fastifyHeaders);
      res.end('ok');
    });
    expect(valuesOf(sent, 'access-control-allow-origin')).toEqual(['https://app.example.com']);
    expect(valuesOf(sent, 'access-control-allow-credentials')).toEqual(['true']);
    expect(valuesOf(sent, 'vary')).toEqual(['Accept, Origin']);
    // The same object may be written on every response: no origin may stay in it.
    expect(fastifyHeaders).toEqual({ 'content-type': 'text/plain', vary: 'Accept' });
  });

  it('writes them on a response ended without writeHead, under what the app set since', async () => {
    const sent = await answer(serverWithClass(), (res) => {
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('Access-Control-Allow-Credentials', 'false');
      res.end('ok');
    });
    expect(valuesOf(sent, 'vary')).toEqual(['Accept-Encoding, Origin']);
    expect(valuesOf(sent, 'access-control-allow-credentials')).toEqual(['false']);
    expect(valuesOf(sent, 'access-control-allow-origin')).toEqual(['https://app.example.com']);
  });

  it('lets a later header of the same name win whatever its case, sending it once', async () => {
    const sent = await answer(serverWithClass(), (res) => {
      res.writeHead(200, 'Fine', { 'Access-Control-Allow-Origin': 'https://other.example.com', VARY: '*' });
      res.end();
    });
    expect(sent.status).toBe(200);
    expect(valuesOf(sent, 'access-control-allow-origin')).toEqual(['https://other.example.com']);
    expect(valuesOf(sent, 'vary')).toEqual(['*']);
  });

  it('keeps the Vary fields under headers given as a list', async () => {
    const sent = await answer(serverWithClass(), (res) => {
      res.writeHead(200, ['Vary', 'Accept', 'Content-Type', 'text/plain']);
      res.end();
    });
    expect(valuesOf(sent, 'vary')).toEqual(['Accept, Origin']);
    expect(valuesOf(sent, 'access-control-allow-origin')).toEqual(['https://app.example.com']);
  });

  it('shows them to the header accessors until the head is written, and removes them when asked', async () => {
    const seen: unknown[] = [];
    const sent = await answer(serverWithClass(), (res) => {
      res.setHeader('Vary', 'Accept');
      seen.push(res.getHeader('access-control-allow-origin'), res.hasHeader('Access-Control-Allow-Credentials'), res.getHeader('Vary'));
      seen.push(res.getHeaders(), res.getHeaderNames().sort());
      res.removeHeader('Access-Control-Allow-Credentials');
      seen.push(res.hasHeader('access-control-allow-credentials'));
      res.end();
    });
    expect(seen).toEqual([
      'https://app.example.com',
      true,
      'Accept, Origin',
      { vary: 'Accept, Origin', 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true' },
      ['access-control-allow-credentials', 'access-control-allow-origin', 'vary'],
      false,
    ]);
    expect(valuesOf(sent, 'access-control-allow-credentials')).toEqual([]);
    expect(valuesOf(sent, 'vary')).toEqual(['Accept, Origin']);
  });

  it('without it (HTTP/2), each response is patched on its own and keeps the Vary fields too', async () => {
    const sent = await answer(createServer(), (res) => {
      expect(Object.prototype.hasOwnProperty.call(res, 'setHeader')).toBe(true);
      res.setHeader('Vary', 'Accept');
      res.end('ok');
    });
    expect(valuesOf(sent, 'vary')).toEqual(['Accept, Origin']);
    expect(valuesOf(sent, 'access-control-allow-origin')).toEqual(['https://app.example.com']);
  });

  it('changes nothing where the server has no response class of its own (HTTP/2, not a server)', () => {
    const http2 = createHttp2Server();
    expect(installCorsResponseClass(http2)).toBe(false);
    expect(installCorsResponseClass(undefined)).toBe(false);
    expect(installCorsResponseClass({ [Symbol('ServerResponse')]: 'not a class' })).toBe(false);
  });
});
