import { createServer, ServerResponse, type Server } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { appendVary } from '../../lib/headers/vary.js';
import { keepCorsVaryOnServer } from '../../lib/fastify/fastify-response-class.js';

/** One request to a server whose handler sets CORS Vary, then a handler Vary through the raw response. */
async function answer(server: Server): Promise<{ vary: string | null; ownSetHeader: boolean; keeperClass: boolean }> {
  let ownSetHeader = true;
  let keeperClass = false;
  server.on('request', (_req, res: ServerResponse) => {
    appendVary(res, 'Origin');
    ownSetHeader = Object.prototype.hasOwnProperty.call(res, 'setHeader');
    keeperClass = Object.getPrototypeOf(res) !== ServerResponse.prototype && res instanceof ServerResponse;
    res.setHeader('Vary', 'Accept');
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { vary: response.headers.get('vary'), ownSetHeader, keeperClass };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('keepCorsVaryOnServer (the responses of a Fastify app keep the CORS Vary fields)', () => {
  it("builds the server's responses from a class that keeps them: no per-response patch", async () => {
    const server = createServer();
    expect(keepCorsVaryOnServer(server)).toBe(true);
    await expect(answer(server)).resolves.toEqual({ vary: 'Accept, Origin', ownSetHeader: false, keeperClass: true });
  });

  it('without it, each response is patched on its own and keeps them too', async () => {
    await expect(answer(createServer())).resolves.toEqual({ vary: 'Accept, Origin', ownSetHeader: true, keeperClass: false });
  });

  it('changes nothing where the server has no response class of its own (HTTP/2, not a server)', () => {
    const http2 = createHttp2Server();
    expect(keepCorsVaryOnServer(http2)).toBe(false);
    expect(keepCorsVaryOnServer(undefined)).toBe(false);
    expect(keepCorsVaryOnServer({ [Symbol('ServerResponse')]: 'not a class' })).toBe(false);
  });
});
