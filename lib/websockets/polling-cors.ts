import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { CorsMiddleware } from '../cors.middleware.js';
import { PolicyTable } from '../routes/policy-table.js';
import type { HandshakeCheck } from './cors-gateway-gate.js';

type EngineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The CORS headers of socket.io's HTTP long-polling transport (an engine.io middleware): the
 * very middleware of HTTP routes, given the gateway's policy as its only policy, so a polling
 * request gets what a route with that policy gets (preflights answered, `Vary` kept).
 * WebSocket upgrades are skipped: browsers apply no CORS to them. Its polls report no decision:
 * the handshake's decision (`onDecision`) is the one that counts.
 */
export function pollingCors(check: HandshakeCheck): EngineMiddleware {
  const middlewares = new Map<CompiledPolicy, CorsMiddleware>();
  const middlewareOf = (policy: CompiledPolicy): CorsMiddleware => {
    let middleware = middlewares.get(policy);
    if (middleware === undefined) {
      middleware = new CorsMiddleware();
      middleware.activate({
        table: new PolicyTable([], policy),
        versioning: undefined,
        explainer: undefined,
        strict: undefined,
        decisions: undefined,
      });
      middlewares.set(policy, middleware);
    }
    return middleware;
  };
  return (req, res, next) => {
    if (req.headers.upgrade !== undefined) return next();
    const apply = ({ policy }: { policy: CompiledPolicy | undefined }) =>
      policy === undefined ? next() : middlewareOf(policy).use(req, res, next);
    const verdict = check(req, false);
    if (verdict instanceof Promise) verdict.then(apply, next);
    else apply(verdict);
  };
}
