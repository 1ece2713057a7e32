import { ServerResponse } from 'node:http';
import { keepCorsVaryOn } from '../headers/vary.js';

type ResponseClass = new (...args: never[]) => ServerResponse;

/**
 * Gives every response of a Node.js HTTP server a prototype that keeps the CORS fields of `Vary`
 * (see `keepCorsVaryOn`), as Express's app prototype does: Fastify's responses are plain
 * `ServerResponse`s, and keeping the fields response by response (an own `setHeader` on each)
 * made some runs cost a third more instructions per request (bench/results/2026-12-03-fastify.md).
 *
 * The class a server builds its responses with is its `ServerResponse` option
 * (`http.createServer({ ServerResponse })`), kept under a symbol of that name; it is replaced by
 * a subclass. Returns `false`, changing nothing, where there is no such class (an HTTP/2 server):
 * the fields are then kept per response.
 */
export function keepCorsVaryOnServer(server: unknown): boolean {
  if (typeof server !== 'object' || server === null) return false;
  const key = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'ServerResponse');
  if (key === undefined) return false;
  const holder = server as Record<symbol, unknown>;
  const current = holder[key];
  if (typeof current !== 'function' || !(current === ServerResponse || current.prototype instanceof ServerResponse)) return false;
  const Base = current as ResponseClass;
  class CorsVaryKeepingResponse extends Base {}
  keepCorsVaryOn(CorsVaryKeepingResponse.prototype);
  holder[key] = CorsVaryKeepingResponse;
  return true;
}
