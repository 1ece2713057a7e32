import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestException, ForbiddenException, type VersioningOptions } from '@nestjs/common';
import type { CompiledPolicy } from './policy/compiled-policy.js';
import type { DecisionReporter } from './decisions/cors-decision-reporter.js';
import type { CorsRequest, PlatformRequest } from './cors-request.interface.js';
import type { RefusalExplainer } from './decisions/cors-refusal.js';
import { judgeOrigin, refusalReason } from './decisions/origin-verdict.js';
import type { CorsRouteTable } from './routes/cors-route-table.interface.js';
import { findActualEntry, preflightPolicy, type PolicyChoice } from './routes/route-choice.js';
import { preflightRefusals } from './headers/preflight-check.js';
import { allowActual, allowPreflight, describeMalformedPreflight, endPreflight } from './headers/cors-answer.js';
import { appendVary } from './headers/vary.js';
import { scopeNote } from './origins/origin-scope.js';

type Next = (error?: unknown) => void;

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

/**
 * The CORS middleware: installed by `CorsModule` on every path and method, ahead of guards,
 * interceptors, pipes and (in `NestFactory.create` apps) the body parser. Per request: one
 * table lookup, one verdict (`judgeOrigin`), a few `setHeader` calls, all header values precomputed.
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
      return this.preflight(runtime, req, res, next, origin, requestedMethod, platformRequest);
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
    return judgeOrigin(findActualEntry(runtime, match, req, undefined)?.policy ?? match.fallback, origin, req) === true;
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
      // `*` for everyone: the answer does not depend on `Origin`, hence no `Vary`.
      allowActual(res, policy, '*');
      if (this.recordsVerdicts) (req as MarkedRequest)[CORS_ORIGIN_VERDICT] = true;
      if (origin !== undefined) runtime.decisions?.report(false, true, origin, req.method ?? 'GET', req, route, policy, undefined);
      return next();
    }
    appendVary(res, policy.actualVary);
    if (origin === undefined) return next();
    const verdict = judgeOrigin(policy, origin, req);
    if (typeof verdict === 'boolean') return this.settle(runtime, policy, route, origin, req, res, next, verdict);
    verdict.then((allowed) => this.settle(runtime, policy, route, origin, req, res, next, allowed), next);
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
    if (origin === undefined || !policy.enabled) return next();
    if (allowed) {
      allowActual(res, policy, origin);
      runtime.decisions?.report(false, true, origin, req.method ?? 'GET', req, route, policy, undefined);
      return next();
    }
    this.refuseOrigin(runtime, origin, route, req.method ?? 'GET', false, req, policy);
    const strict = runtime.strict;
    // Strict mode stops what CORS alone lets through: simple requests that change state.
    if (strict !== undefined && !strict.appOrigins.has(origin)) {
      return next(new ForbiddenException(`Origin ${JSON.stringify(origin)} is not allowed by the CORS policy of this route`));
    }
    next();
  }

  private preflight(
    runtime: CorsRuntime,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
    origin: string,
    method: string,
    platformRequest: PlatformRequest | undefined,
  ): void {
    const malformed = runtime.strict === undefined ? undefined : describeMalformedPreflight(req, origin, method);
    if (malformed !== undefined) return next(new BadRequestException(`Malformed CORS preflight: ${malformed}`));
    const choice = this.uniform ?? preflightPolicy(runtime, req, method, platformRequest);
    if (!choice.policy.enabled) return next();
    if (choice.varyFields !== '') appendVary(res, choice.varyFields);
    const verdict = judgeOrigin(choice.policy, origin, req);
    if (typeof verdict === 'boolean') return this.answerPreflight(runtime, choice, origin, method, req, res, next, verdict);
    verdict.then((allowed) => this.answerPreflight(runtime, choice, origin, method, req, res, next, allowed), next);
  }

  /** Answers a preflight (`method` is its requested method): the CORS headers when allowed, none when refused. */
  private answerPreflight(
    runtime: CorsRuntime,
    { policy, route }: PolicyChoice,
    origin: string,
    method: string,
    req: CorsRequest,
    res: ServerResponse,
    next: Next,
    allowed: boolean,
  ): void {
    if (!allowed) this.refuseOrigin(runtime, origin, route, method, true, req, policy);
    else {
      allowPreflight(res, policy, policy.wildcard ? '*' : origin, req);
      if (runtime.explainer !== undefined || runtime.decisions !== undefined) judgePreflight(runtime, policy, route, origin, method, req);
    }
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

/** An allowed origin's preflight: explains what the browser will still refuse, and reports the decision. */
function judgePreflight(
  runtime: CorsRuntime,
  policy: CompiledPolicy,
  route: string | undefined,
  origin: string,
  method: string,
  req: CorsRequest,
): void {
  const refusals = preflightRefusals(policy, method, req.headers['access-control-request-headers']);
  const explainer = runtime.explainer;
  if (explainer !== undefined) {
    for (const { reason, detail } of refusals) explainer.explain(reason, origin, route ?? `${method} ${req.url}`, policy, detail);
  }
  runtime.decisions?.report(true, refusals.length === 0, origin, method, req, route, policy, refusals[0]?.reason);
}
