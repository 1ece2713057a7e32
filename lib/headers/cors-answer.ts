import type { ServerResponse } from 'node:http';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { parseSerializedOrigin } from '../origins/serialized-origin.js';
import { isRequestedHeaderList, isToken } from './header-tokens.js';
import { setCorsHeader } from './vary.js';

const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';

/** The headers of an allowed actual request; `allowOrigin` is the origin itself, or `*`. */
export function allowActual(res: ServerResponse, policy: CompiledPolicy, allowOrigin: string): void {
  setCorsHeader(res, ALLOW_ORIGIN, allowOrigin);
  if (policy.credentials) setCorsHeader(res, 'Access-Control-Allow-Credentials', 'true');
  if (policy.exposeHeaders !== undefined) setCorsHeader(res, 'Access-Control-Expose-Headers', policy.exposeHeaders);
}

/** The headers of an allowed preflight's answer, all precomputed but the reflected request headers. */
export function allowPreflight(res: ServerResponse, policy: CompiledPolicy, allowOrigin: string, req: CorsRequest): void {
  setCorsHeader(res, ALLOW_ORIGIN, allowOrigin);
  if (policy.credentials) setCorsHeader(res, 'Access-Control-Allow-Credentials', 'true');
  if (policy.allowMethods !== '') setCorsHeader(res, 'Access-Control-Allow-Methods', policy.allowMethods);
  const allowHeaders = policy.allowHeaders ?? reflectableHeaders(req);
  if (allowHeaders) setCorsHeader(res, 'Access-Control-Allow-Headers', allowHeaders);
  if (policy.maxAge !== undefined) setCorsHeader(res, 'Access-Control-Max-Age', policy.maxAge);
  if (policy.exposeHeaders !== undefined) setCorsHeader(res, 'Access-Control-Expose-Headers', policy.exposeHeaders);
}

/** Ends a preflight answered here (not passed on with `preflightContinue`). */
export function endPreflight(res: ServerResponse, status: number): void {
  // Safari waits for a body on a 204 without Content-Length (as the `cors` package notes).
  // One header object: a response that writes its CORS head then writes it in one piece.
  res.writeHead(status, { 'Content-Length': '0' });
  res.end();
}

/** What is wrong with a preflight that no browser would send (strict mode answers it 400), or `undefined`. */
export function describeMalformedPreflight(req: CorsRequest, origin: string, requestedMethod: string): string | undefined {
  if (origin !== 'null' && parseSerializedOrigin(origin) === undefined) return 'Origin is not a serialized origin';
  if (!isToken(requestedMethod)) return 'Access-Control-Request-Method is not a method';
  const requestedHeaders = req.headers['access-control-request-headers'];
  if (requestedHeaders !== undefined && !isRequestedHeaderList(requestedHeaders)) {
    return 'Access-Control-Request-Headers is not a list of header names';
  }
  return undefined;
}

/** The requested headers, reflected only when they are a well-formed list (never anything else). */
function reflectableHeaders(req: CorsRequest): string | undefined {
  const requested = req.headers['access-control-request-headers'];
  if (requested === undefined) return undefined;
  return isRequestedHeaderList(requested) ? requested : undefined;
}
