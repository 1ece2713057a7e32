import { ServerResponse } from 'node:http';
import { withCorsHead } from '../headers/cors-head.js';

/**
 * Builds every response of a Node.js HTTP server from a class that writes the CORS headers with
 * the head (see `withCorsHead`), which also keeps the CORS fields of `Vary`: Fastify's responses
 * are the server's own, with no app prototype to patch as on Express.
 *
 * The class a server builds its responses with is its `ServerResponse` option
 * (`http.createServer({ ServerResponse })`), kept under a symbol of that name; it is replaced by
 * a subclass. Returns `false`, changing nothing, where there is no such class (an HTTP/2 server):
 * the headers are then set at once and the `Vary` fields kept response by response.
 */
export function installCorsResponseClass(server: unknown): boolean {
  if (typeof server !== 'object' || server === null) return false;
  const key = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'ServerResponse');
  if (key === undefined) return false;
  const holder = server as Record<symbol, unknown>;
  const current = holder[key];
  if (typeof current !== 'function' || !(current === ServerResponse || current.prototype instanceof ServerResponse)) return false;
  holder[key] = withCorsHead(current as typeof ServerResponse);
  return true;
}
