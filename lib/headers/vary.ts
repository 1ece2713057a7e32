import { ServerResponse } from 'node:http';
import vary from 'vary';
import { deferHeader, deferVary, withVaryFields, writesCorsHead } from './cors-head.js';
import { isVaryName } from './header-tokens.js';

/** The `Vary` fields this library adds: a handler's own `Vary` must not drop them. */
const CORS_VARY_FIELDS = /^(?:origin|access-control-request-method|access-control-request-headers)$/i;
/**
 * The `varyOn` headers of the app's scoped resolvers and sources (lower case), kept like the
 * CORS fields. Only ever grows, at startup: keeping one field too many in `Vary` is safe.
 */
const KEPT_SCOPE_FIELDS = new Set<string>();

/** Keeps `name` in `Vary` when a handler sets its own, like the CORS fields (a scoped class's `varyOn` header). */
export function keepVaryField(name: string): void {
  KEPT_SCOPE_FIELDS.add(name.toLowerCase());
}

/**
 * On a response prototype whose `setHeader` keeps the CORS fields: the `setHeader` it replaced,
 * for the first `Vary` of a response, which has nothing to keep.
 */
const SET_HEADER_BEFORE_CORS = Symbol('nestjs-cors-policy:set-header-before-cors');

type SetHeader = ServerResponse['setHeader'];
type HeaderValue = number | string | readonly string[];
type MarkedResponse = ServerResponse & { [SET_HEADER_BEFORE_CORS]?: SetHeader };

/**
 * Makes every response of an app keep the CORS fields of `Vary` when a handler sets its own
 * `Vary` later (`@Header('Vary', 'Accept')`, `res.setHeader('Vary', ...)`): dropping `Origin`
 * would let a shared cache serve one origin's answer to another. Installed once on the app's
 * response prototype (Express's `app.response`), so requests pay nothing for it. Returns the
 * `setHeader` it wrapped.
 */
export function keepCorsVaryOn(responsePrototype: object): SetHeader {
  const target = responsePrototype as MarkedResponse;
  const kept = Object.prototype.hasOwnProperty.call(target, SET_HEADER_BEFORE_CORS) ? target[SET_HEADER_BEFORE_CORS] : undefined;
  if (kept !== undefined) return kept;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(this)` below
  const inherited: SetHeader = target.setHeader;
  Object.defineProperty(target, SET_HEADER_BEFORE_CORS, { value: inherited });
  Object.defineProperty(target, 'setHeader', {
    configurable: true,
    writable: true,
    value: function setHeaderKeepingCorsVary(this: ServerResponse, name: string, value: HeaderValue) {
      return inherited.call(this, name, isVaryName(name) ? withCorsFieldsOf(this.getHeader('Vary'), value) : value);
    },
  });
  return inherited;
}

/**
 * The same for one response, on a platform whose responses share no prototype with the app and
 * whose server has no response class to replace (Fastify on HTTP/2): two plain assignments and
 * one shared function, since this runs on every request there.
 */
function keepCorsVaryOnResponse(response: MarkedResponse): SetHeader {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(this)` in setOwnHeaderKeepingCorsVary
  const inherited: SetHeader = response.setHeader;
  response[SET_HEADER_BEFORE_CORS] = inherited;
  response.setHeader = setOwnHeaderKeepingCorsVary;
  return inherited;
}

function setOwnHeaderKeepingCorsVary(this: MarkedResponse, name: string, value: HeaderValue): ServerResponse {
  const inherited = this[SET_HEADER_BEFORE_CORS] as SetHeader;
  return inherited.call(this, name, isVaryName(name) ? withCorsFieldsOf(this.getHeader('Vary'), value) : value);
}

/**
 * Appends `fields` (one field or a comma-separated list) to the response's `Vary`, and keeps them
 * there: at once, or with the head on a response that `writesCorsHead`.
 */
export function appendVary(res: ServerResponse, fields: string): void {
  if (writesCorsHead(res)) return deferVary(res, fields);
  const response = res as MarkedResponse;
  // A platform whose responses do not share a prototype with the app: keep them per response.
  const setHeaderBeforeCors = response[SET_HEADER_BEFORE_CORS] ?? keepCorsVaryOnResponse(response);
  // The common case, no Vary yet: nothing to parse or keep, so the replaced setHeader does.
  if (response.getHeader('Vary') === undefined) setHeaderBeforeCors.call(response, 'Vary', fields);
  else vary(res, fields);
}

/**
 * Sets one of this library's own headers, never `Vary`: with the head on a response that
 * `writesCorsHead`, else straight through the `setHeader` that the `Vary` keeper wraps, since
 * there is nothing to keep (and the wrapper is one more call per header).
 */
export function setCorsHeader(res: ServerResponse, name: string, value: string | number): void {
  if (writesCorsHead(res)) return deferHeader(res, name, value);
  const setHeaderBeforeCors = (res as MarkedResponse)[SET_HEADER_BEFORE_CORS];
  if (setHeaderBeforeCors === undefined) res.setHeader(name, value);
  else setHeaderBeforeCors.call(res, name, value);
}

/** The new `Vary` value, with the CORS fields of the current one appended. */
function withCorsFieldsOf(current: ReturnType<ServerResponse['getHeader']>, value: HeaderValue) {
  if (current === undefined) return value;
  const kept = String(current)
    .split(',')
    .map((field) => field.trim())
    .filter((field) => CORS_VARY_FIELDS.test(field) || KEPT_SCOPE_FIELDS.has(field.toLowerCase()));
  if (kept.length === 0) return value;
  return withVaryFields(value, kept);
}
