import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestException, ForbiddenException, type VersioningOptions } from '@nestjs/common';
import type { CompiledPolicy } from './policy/compiled-policy.js';
import type { DecisionReporter } from './decisions/cors-decision-reporter.js';
import type { CorsRequest, PlatformRequest } from './cors-request.interface.js';
import { dynamicRefusalOf, type RefusalExplainer, type RefusalReason } from './decisions/cors-refusal.js';
import { isRequestedHeaderList, isToken } from './headers/header-tokens.js';
import { matchesVersionFilter } from './routes/nest-routes.js';
import { matchOrigin } from './origins/origin-matcher.js';
import type { CorsRouteTable } from './routes/cors-route-table.interface.js';
import type { PathMatch, RouteEntry } from './routes/policy-table.js';
import { preflightRefusals } from './headers/preflight-check.js';
import { parseSerializedOrigin } from './origins/serialized-origin.js';
import { appendVary, setCorsHeader } from './headers/vary.js';
import { scopeNote } from './origins/origin-scope.js';

type Next = (error?: unknown) => void;

const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';

/** Strict mode, compiled: see `CorsStrictOptions`. */
export interface StrictRuntime {
  readonly appOrigins: ReadonlySet<string>;
}

/** The policy table and what the middleware needs with it, ready once the app is initialised. */
export interface CorsRuntime {
  readonly table: CorsRouteTable;
  readonly versioning: VersioningOptions | undefined;
  readonly explainer: RefusalExplainer | undefined;
  readonly strict: StrictRuntime | undefined;
  /** Set only with the `onDecision` option: without it, no decision is built. */
  readonly decisions: DecisionReporter | undefined;
}

/** Where the middleware records its verdict on a request's origin, for `corsCsrfExclusion()`. */
export const CORS_ORIGIN_VERDICT = Symbol('nestjs-cors-policy:origin-verdict');
type MarkedRequest = CorsRequest & { [CORS_ORIGIN_VERDICT]?: boolean };

/** Which policy answers a request, the route that declared it (for logs) and, for a preflight, its `Vary` fields. */
interface PolicyChoice {
  readonly policy: CompiledPolicy;
  readonly route: string | undefined;
  readonly varyFields: string;
}

/** What a preflight asks: the page's origin and the method of the request to come. */
interface Preflight {
  readonly origin: string;
  readonly method: string;
}

/**
 * The CORS middleware: installed by `CorsModule` on every path and method, ahead of guards,
 * interceptors, pipes and (in `NestFactory.create` apps) the body parser. Per request: one
 * table lookup, one origin check, a few `setHeader` calls, all header values precomputed.
 */
export class CorsMiddleware {
  private runtime: CorsRuntime | undefined;
  /**
   * The table's one policy, when every route shares it and nothing reads which route a request
   * reached (no `onDecision`, no `debug`): then no request needs a route lookup.
   */
  private uniform: PolicyChoice | undefined;
  /** Set by `corsCsrfExclusion()`: record each actual request's verdict on the request. */
  recordsVerdicts = false;

  /** Called once the policy table is built; requests before that pass through untouched. */
  activate(runtime: CorsRuntime): void {
    const uniformPolicy = runtime.decisions === undefined && runtime.explainer === undefined ? runtime.table.uniformPolicy : undefined;
    this.uniform = uniformPolicy && { policy: uniformPolicy, route: undefined, varyFields: uniformPolicy.preflightVary };
    this.runtime = runtime;
  }

  /** Connect-style middleware (Express, `adapter.use()`): three parameters, or Express takes it for an error handler. */
  readonly use = (req: IncomingMessage, res: ServerResponse, next: Next): void => this.handle(req, res, next, undefined);

  /** The middleware, for a platform that hands it the raw request: `platformRequest` is the platform's own (Fastify). */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: Next, platformRequest: PlatformRequest | undefined): void => {
    const runtime = this.runtime;
    if (runtime === undefined) return next();
    const { origin, 'access-control-request-method': requestedMethod } = req.headers;
    if (req.method === 'OPTIONS' && origin !== undefined && requestedMethod !== undefined) {
      return this.preflight(runtime, req, res, next, { origin, method: requestedMethod }, platformRequest);
    }
    const uniform = this.uniform;
    if (uniform !== undefined) return this.actual(runtime, uniform.policy, undefined, origin, req, res, next);
    const match = runtime.table.match(req.url ?? '/', req.method ?? 'GET');
    const entry = findActualEntry(runtime, match, req, platformRequest);
    this.actual(runtime, entry?.policy ?? match.fallback, entry?.label, origin, req, res, next);
  };

  /**
   * The verdict on a request's origin computed now, synchronously: for a check that runs before
   * this middleware. An answer that needs an uncached resolver or a function refuses (fail closed).
   */
  verdictNow(req: CorsRequest): boolean {
    const runtime = this.runtime;
    const origin = req.headers.origin;
    if (runtime === undefined || origin === undefined) return false;
    const match = runtime.table.match(req.url ?? '/', req.method ?? 'GET');
    const policy = findActualEntry(runtime, match, req, undefined)?.policy ?? match.fallback;
    if (!policy.enabled) return false;
    return policy.wildcard || matchOrigin(policy.origins, origin, req) === true;
  }

  /** An actual request: `origin` is its `Origin` header, read once by the caller. */
  private actual(
    runtime: CorsRuntime,
    policy: CompiledPolicy,
    route: string | undefined,
    origin: string | undefined,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
  ): void {
    if (!policy.enabled) return this.settle(runtime, policy, route, origin, req, res, next, false);
    if (policy.wildcard) {
      setCorsHeader(res, ALLOW_ORIGIN, '*');
      if (policy.exposeHeaders !== undefined) setCorsHeader(res, 'Access-Control-Expose-Headers', policy.exposeHeaders);
      if (this.recordsVerdicts) (req as MarkedRequest)[CORS_ORIGIN_VERDICT] = true;
      const decisions = runtime.decisions;
      if (decisions !== undefined && origin !== undefined) {
        decisions.report(false, true, origin, req.method ?? 'GET', req, route, policy, undefined);
      }
      return next();
    }
    appendVary(res, policy.actualVary);
    if (origin === undefined) return next();
    const decision = matchOrigin(policy.origins, origin, req);
    if (typeof decision === 'boolean') return this.settle(runtime, policy, route, origin, req, res, next, decision);
    decision.then((allowed) => this.settle(runtime, policy, route, origin, req, res, next, allowed), next);
  }

  /** Sends the headers of an allowed origin, or refuses it (with 403 in strict mode). */
  private settle(
    runtime: CorsRuntime,
    policy: CompiledPolicy,
    route: string | undefined,
    origin: string | undefined,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
    allowed: boolean,
  ): void {
    if (this.recordsVerdicts) (req as MarkedRequest)[CORS_ORIGIN_VERDICT] = allowed;
    if (origin === undefined) return next();
    if (allowed) {
      allowActual(res, policy, origin);
      runtime.decisions?.report(false, true, origin, req.method ?? 'GET', req, route, policy, undefined);
      return next();
    }
    if (policy.enabled) this.refuseOrigin(runtime, origin, route, req.method ?? 'GET', false, req, policy);
    const strict = runtime.strict;
    // Strict mode stops what CORS alone lets through: simple requests that change state.
    if (strict !== undefined && policy.enabled && !strict.appOrigins.has(origin)) {
      return next(new ForbiddenException(`Origin ${JSON.stringify(origin)} is not allowed by the CORS policy of this route`));
    }
    next();
  }

  private preflight(
    runtime: CorsRuntime,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
    preflight: Preflight,
    platformRequest: PlatformRequest | undefined,
  ): void {
    const { origin, method: requestedMethod } = preflight;
    if (runtime.strict !== undefined) {
      const malformed = describeMalformedPreflight(req, preflight);
      if (malformed !== undefined) return next(new BadRequestException(`Malformed CORS preflight: ${malformed}`));
    }
    const { policy, route, varyFields } = this.uniform ?? preflightPolicy(runtime, req, requestedMethod, platformRequest);
    if (!policy.enabled) return next();
    if (varyFields !== '') appendVary(res, varyFields);
    if (policy.wildcard) return this.answerPreflight(runtime, policy, '*', route, preflight, req, res, next);
    const decision = matchOrigin(policy.origins, origin, req);
    if (decision === true) return this.answerPreflight(runtime, policy, origin, route, preflight, req, res, next);
    if (decision === false) return this.refusePreflight(runtime, policy, preflight, route, req, res, next);
    decision.then(
      (allowed) =>
        allowed
          ? this.answerPreflight(runtime, policy, origin, route, preflight, req, res, next)
          : this.refusePreflight(runtime, policy, preflight, route, req, res, next),
      next,
    );
  }

  private answerPreflight(
    runtime: CorsRuntime,
    policy: CompiledPolicy,
    allowOrigin: string,
    route: string | undefined,
    preflight: Preflight,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
  ): void {
    setCorsHeader(res, ALLOW_ORIGIN, allowOrigin);
    if (policy.credentials) setCorsHeader(res, 'Access-Control-Allow-Credentials', 'true');
    if (policy.allowMethods !== '') setCorsHeader(res, 'Access-Control-Allow-Methods', policy.allowMethods);
    const allowHeaders = policy.allowHeaders ?? reflectableHeaders(req);
    if (allowHeaders) setCorsHeader(res, 'Access-Control-Allow-Headers', allowHeaders);
    if (policy.maxAge !== undefined) setCorsHeader(res, 'Access-Control-Max-Age', policy.maxAge);
    if (policy.exposeHeaders !== undefined) setCorsHeader(res, 'Access-Control-Expose-Headers', policy.exposeHeaders);
    if (runtime.explainer !== undefined || runtime.decisions !== undefined) judgePreflight(runtime, policy, route, preflight, req);
    if (policy.preflightContinue) return next();
    endPreflight(res, policy.optionsSuccessStatus);
  }

  private refusePreflight(
    runtime: CorsRuntime,
    policy: CompiledPolicy,
    { origin, method }: Preflight,
    route: string | undefined,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
  ): void {
    this.refuseOrigin(runtime, origin, route, method, true, req, policy);
    if (policy.preflightContinue) return next();
    endPreflight(res, policy.optionsSuccessStatus);
  }

  /** Explains and reports a refused origin; `method` is a preflight's requested method. */
  private refuseOrigin(
    runtime: CorsRuntime,
    origin: string,
    route: string | undefined,
    method: string,
    preflight: boolean,
    req: CorsRequest,
    policy: CompiledPolicy,
  ): void {
    const { explainer, decisions } = runtime;
    if (explainer === undefined && decisions === undefined) return;
    const reason = refusalReason(origin, req);
    explainer?.explain(reason, origin, route ?? `${method} ${req.url}`, policy, scopeNote(policy, req));
    decisions?.report(preflight, false, origin, method, req, route, policy, reason);
  }
}

/** Why an origin was refused: not trusted, not an origin at all, or a dynamic check that could not judge it. */
function refusalReason(origin: string, req: CorsRequest): RefusalReason {
  if (origin !== 'null' && parseSerializedOrigin(origin) === undefined) return 'origin not a serialized origin';
  return dynamicRefusalOf(req) ?? 'origin not trusted';
}

function allowActual(res: ServerResponse, policy: CompiledPolicy, origin: string): void {
  setCorsHeader(res, ALLOW_ORIGIN, origin);
  if (policy.credentials) setCorsHeader(res, 'Access-Control-Allow-Credentials', 'true');
  if (policy.exposeHeaders !== undefined) setCorsHeader(res, 'Access-Control-Expose-Headers', policy.exposeHeaders);
}

/** The requested headers, reflected only when they are a well-formed list (never anything else). */
function reflectableHeaders(req: CorsRequest): string | undefined {
  const requested = req.headers['access-control-request-headers'];
  if (requested === undefined) return undefined;
  return isRequestedHeaderList(requested) ? requested : undefined;
}

function endPreflight(res: ServerResponse, status: number): void {
  // Safari waits for a body on a 204 without Content-Length (as the `cors` package notes).
  // One header object: a response that writes its CORS head then writes it in one piece.
  res.writeHead(status, { 'Content-Length': '0' });
  res.end();
}

/** The policy a preflight is answered with: that of the route serving the requested method, else its path's fallback. */
function preflightPolicy(
  runtime: CorsRuntime,
  req: CorsRequest,
  requestedMethod: string,
  platformRequest: PlatformRequest | undefined,
): PolicyChoice {
  const match = runtime.table.match(req.url ?? '/', requestedMethod);
  const entry = isToken(requestedMethod) ? findEntry(runtime, match.entries, req, requestedMethod, false, platformRequest) : undefined;
  const policy = entry?.policy ?? match.fallback;
  return { policy, route: entry?.label, varyFields: match.policyDependsOnMethod ? policy.preflightVaryByMethod : policy.preflightVary };
}

/** The route an actual (non-preflight) request reaches; `undefined` when its path's fallback applies. */
function findActualEntry(
  runtime: CorsRuntime,
  match: PathMatch,
  req: CorsRequest,
  platformRequest: PlatformRequest | undefined,
): RouteEntry | undefined {
  return findEntry(runtime, match.entries, req, req.method ?? 'GET', true, platformRequest);
}

/** The first route (in registration order) that Nest would run for this request. */
function findEntry(
  runtime: CorsRuntime,
  entries: readonly RouteEntry[],
  req: CorsRequest,
  method: string,
  knowsVersion: boolean,
  platformRequest: PlatformRequest | undefined,
): RouteEntry | undefined {
  let hostname: string | undefined;
  for (const entry of entries) {
    if (entry.method !== method && entry.method !== 'ALL' && !(method === 'HEAD' && entry.method === 'GET')) continue;
    if (entry.hosts !== undefined) {
      const name = (hostname ??= req.hostname ?? platformRequest?.hostname ?? req.headers.host?.replace(/:\d+$/, '') ?? '');
      if (!entry.hosts.some((host) => host.test(name))) continue;
    }
    // A preflight never carries the version header: the first handler of the method answers it.
    if (
      knowsVersion &&
      entry.filterVersion !== undefined &&
      runtime.versioning !== undefined &&
      !matchesVersionFilter(entry.filterVersion, runtime.versioning, req)
    )
      continue;
    return entry;
  }
  return undefined;
}

/** An allowed origin's preflight: explains what the browser will still refuse, and reports the decision. */
function judgePreflight(
  runtime: CorsRuntime,
  policy: CompiledPolicy,
  route: string | undefined,
  preflight: Preflight,
  req: CorsRequest,
): void {
  const { origin, method } = preflight;
  const refusals = preflightRefusals(policy, method, req.headers['access-control-request-headers']);
  const explainer = runtime.explainer;
  if (explainer !== undefined) {
    for (const { reason, detail } of refusals) explainer.explain(reason, origin, route ?? `${method} ${req.url}`, policy, detail);
  }
  runtime.decisions?.report(true, refusals.length === 0, origin, method, req, route, policy, refusals[0]?.reason);
}

/** What is wrong with a preflight that no browser would send, or `undefined`. */
function describeMalformedPreflight(req: CorsRequest, { origin, method: requestedMethod }: Preflight): string | undefined {
  if (origin !== 'null' && parseSerializedOrigin(origin) === undefined) return 'Origin is not a serialized origin';
  if (!isToken(requestedMethod)) return 'Access-Control-Request-Method is not a method';
  const requestedHeaders = req.headers['access-control-request-headers'];
  if (requestedHeaders !== undefined && !isRequestedHeaderList(requestedHeaders)) {
    return 'Access-Control-Request-Headers is not a list of header names';
  }
  return undefined;
}
