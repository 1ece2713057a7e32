import type { CompiledPolicy } from '../policy/compiled-policy.js';
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
  /**
   * The one policy of every route, every `paths` pattern and the defaults, when they all share it
   * (no `@CorsPolicy`, no `paths`: an app moved from `app.enableCors()`); else `undefined`.
   */
  readonly uniformPolicy: CompiledPolicy | undefined;
}
