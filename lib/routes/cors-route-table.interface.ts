import type { PathMatch } from './policy-table.js';

/**
 * What the middleware asks of a platform's route table: the routes that serve a request path,
 * answered as that platform's router would (Express: `PolicyTable`; Fastify: `FastifyRouteTable`).
 */
export interface CorsRouteTable {
  /**
   * The routes serving `url` (`req.url`, query string included or not) for `method` (the request's
   * method, or a preflight's requested one). A table may return the routes of other methods too:
   * the middleware still picks by method.
   */
  match(url: string, method: string): PathMatch;
}
