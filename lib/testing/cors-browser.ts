import type { Server } from 'node:http';
import type { CorsDecision } from '../decisions/cors-decision.interface.js';
import { findRecorder, type CorsDecisionRecorder } from './decision-recorder.js';
import { isForbiddenRequestHeader, needsPreflight, normalizeMethod, unsafeRequestHeaderNames } from './fetch-request-rules.js';
import { corsCheck, preflightCheck, readableHeaders, variesOnOrigin } from './fetch-response-rules.js';
import { exchange, serverOf, withAddress, type CorsExchange, type CorsTestTarget, type ExchangeTarget } from './http-exchange.js';
import { NO_ANSWER_HINT, readinessOf } from './app-readiness.js';

/** Below jest's default test timeout (5 s), so that a test that gets no answer prints the kit's message. */
const DEFAULT_TIMEOUT_MS = 4_000;

/** What a page passes to `fetch()`, cross-origin, in `cors` mode. */
export interface CorsFetchInit {
  /** @defaultValue `'GET'` */
  readonly method?: string;
  /** Headers the page's script sets. Headers a page cannot set (`Cookie`, `Origin`, `Host`...) are refused with an `Error`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string body gets `Content-Type: text/plain;charset=UTF-8` unless one is set, as in browsers. */
  readonly body?: string | Uint8Array;
  /**
   * `'include'` sends cookies (`cookie`) and requires `Access-Control-Allow-Credentials: true`;
   * `'same-origin'` (fetch's default) and `'omit'` send none cross-origin.
   * @defaultValue `'same-origin'`
   */
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  /** The browser's cookies for the API, sent on the actual request with `credentials: 'include'` only. */
  readonly cookie?: string;
  /** The page's origin for this call. @defaultValue the browser's `origin` */
  readonly origin?: string;
  /** The `Host` of the API for this call (a tenant's host, for a `Host`-scoped resolver). @defaultValue the browser's `host` */
  readonly host?: string;
}

/** Why the browser refused: at which step, why, and what the library decided there (when recorded). */
export interface CorsRefusal {
  readonly step: 'preflight' | 'response';
  readonly reason: string;
  readonly decision: CorsDecision | undefined;
}

/** The browser's verdict on one `fetch()`, with both exchanges and the library's decisions. */
export interface CorsOutcome {
  /** Whether the page's script gets the response (a browser would not reject with `TypeError: Failed to fetch`). */
  readonly allowed: boolean;
  readonly refusal: CorsRefusal | undefined;
  /** The preflight, when a browser sends one (non-safelisted method or headers). */
  readonly preflight: CorsExchange | undefined;
  /** The actual request; `undefined` when the preflight failed (the browser does not send it). */
  readonly response: CorsExchange | undefined;
  /** What the script can read of the response's headers (lower-case names); empty when refused. */
  readonly readableHeaders: Readonly<Record<string, string>>;
  /** The library's decisions for this call (preflight, then actual), when an `onDecision` recorder is attached. */
  readonly decisions: readonly CorsDecision[];
  /**
   * Faults a browser does not refuse but that break CORS behind a shared cache: an answer that
   * depends on `Origin` without `Vary: Origin`.
   */
  readonly problems: readonly string[];
  /** Whether the script can read this response header. */
  canRead(name: string): boolean;
  /** A summary for error messages and logs. */
  describe(): string;
}

/** Options of {@link createCorsBrowser}. */
export interface CorsBrowserOptions {
  /** The origin of the page that calls the API, e.g. `'https://app.example.com'`. */
  readonly origin: string;
  /** Where the library's decisions are recorded; found in the app's module options when omitted. */
  readonly decisions?: CorsDecisionRecorder;
  /**
   * How long each request (the preflight, the actual request) may take to be answered; then
   * `fetch()` rejects with an `Error` that names the request. A test never hangs.
   * @defaultValue `4000` (below jest's default test timeout of 5 s)
   */
  readonly timeoutMs?: number;
  /**
   * The `Host` the browser sends, as if the API were reached at that name (e.g.
   * `'acme.api.example'`, for a `Host`-scoped resolver). @defaultValue the server's address
   */
  readonly host?: string;
}

/** A browser page on one origin that calls an app, and judges each answer as the Fetch standard does. */
export interface CorsBrowser {
  /** Sends what `fetch(path, init)` would send from the page (the preflight first when one is due) and judges the answers. */
  fetch(path: string, init?: CorsFetchInit): Promise<CorsOutcome>;
}

/**
 * A browser for CORS tests: requests as browsers send them (preflights with the sorted,
 * lower-case `Access-Control-Request-Headers`, no credentials on preflights), verdicts as
 * browsers reach them. Works with any test runner: it returns results and throws plain `Error`s.
 *
 * @example
 * ```ts
 * const browser = createCorsBrowser(app, { origin: 'https://app.example.com' });
 * const outcome = await browser.fetch('/orders/42', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, credentials: 'include' });
 * assertCorsAllowed(outcome);
 * ```
 */
export function createCorsBrowser(target: CorsTestTarget, options: CorsBrowserOptions): CorsBrowser {
  const server = serverOf(target);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0))
    throw new Error(`nestjs-cors-policy/testing: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  // Fastify apps after app.init() alone are not ready: the kit readies them (the app "listening or not").
  const ready = readinessOf(target);
  return {
    fetch: async (path, init = {}) => {
      if (ready !== undefined) await withTimeout(ready(), timeoutMs, 'the Fastify instance did not become ready (ready())');
      // Looked up per fetch: `recordCorsDecisions(app)` may be attached after the browser was created.
      const recorder = options.decisions ?? findRecorder(target);
      return corsFetch({ server, recorder, origin: options.origin, timeoutMs }, path, { host: options.host, ...init });
    },
  };
}

/** What every fetch of one browser shares. */
interface FetchSettings {
  readonly server: Server;
  readonly recorder: CorsDecisionRecorder | undefined;
  readonly origin: string;
  readonly timeoutMs: number;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`nestjs-cors-policy/testing: ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

async function corsFetch(
  { server, recorder, origin: defaultOrigin, timeoutMs }: FetchSettings,
  path: string,
  init: CorsFetchInit,
): Promise<CorsOutcome> {
  const origin = init.origin ?? defaultOrigin;
  const method = normalizeMethod(init.method ?? 'GET');
  const credentials = init.credentials === 'include';
  const headers = pageHeaders(init);
  const unsafeNames = unsafeRequestHeaderNames(headers);
  const headerNames = Object.keys(headers).map((name) => name.toLowerCase());
  return withAddress(server, async (host, port) => {
    const to = (label: string): ExchangeTarget => ({ host, port, timeoutMs, label, hint: NO_ANSWER_HINT });
    const decisions: CorsDecision[] = [];
    const judge = (step: CorsRefusal['step'], reason: string | undefined, preflight?: CorsExchange, response?: CorsExchange) =>
      outcome(step, reason, preflight, response, credentials, decisions, origin);
    let preflight: CorsExchange | undefined;
    if (needsPreflight(method, unsafeNames)) {
      const ask: Record<string, string> = { Accept: '*/*', Origin: origin, 'Access-Control-Request-Method': method, ...hostOf(init) };
      if (unsafeNames.length > 0) ask['Access-Control-Request-Headers'] = unsafeNames.join(',');
      preflight = await recorded(recorder, decisions, true, origin, path, () =>
        exchange(to(' (the preflight)'), 'OPTIONS', path, ask, undefined),
      );
      const refused = preflightCheck(preflight.status, preflight.headers, { origin, method, headerNames, unsafeNames, credentials });
      if (refused !== undefined) return judge('preflight', refused, preflight);
    }
    const sent: Record<string, string> = { ...headers, Origin: origin, ...hostOf(init) };
    if (!headerNames.includes('accept')) sent.Accept = '*/*';
    if (credentials && init.cookie !== undefined) sent.Cookie = init.cookie;
    const response = await recorded(recorder, decisions, false, origin, path, () => exchange(to(''), method, path, sent, init.body));
    return judge('response', corsCheck(response.headers, origin, credentials), preflight, response);
  });
}

/** The `Host` header to send instead of the server's address, if one is named. */
function hostOf(init: CorsFetchInit): Record<string, string> {
  return init.host === undefined ? {} : { Host: init.host };
}

function pageHeaders(init: CorsFetchInit): Record<string, string> {
  const headers: Record<string, string> = { ...init.headers };
  for (const name of Object.keys(headers)) {
    if (isForbiddenRequestHeader(name)) {
      throw new Error(
        `nestjs-cors-policy/testing: a page cannot set the header ${name}` +
          (name.toLowerCase() === 'cookie' ? "; pass cookie: '...' with credentials: 'include'" : '; the browser sets it'),
      );
    }
  }
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (typeof init.body === 'string' && !hasContentType) headers['Content-Type'] = 'text/plain;charset=UTF-8';
  return headers;
}

/** Runs one exchange and keeps the decisions the library reported for it. */
async function recorded(
  recorder: CorsDecisionRecorder | undefined,
  into: CorsDecision[],
  preflight: boolean,
  origin: string,
  path: string,
  send: () => Promise<CorsExchange>,
): Promise<CorsExchange> {
  const before = recorder?.decisions.length ?? 0;
  const result = await send();
  const bare = path.split('?')[0];
  for (const decision of recorder?.decisions.slice(before) ?? []) {
    if (decision.preflight === preflight && decision.origin === origin && decision.path === bare) into.push(decision);
  }
  return result;
}

function outcome(
  step: CorsRefusal['step'],
  reason: string | undefined,
  preflight: CorsExchange | undefined,
  response: CorsExchange | undefined,
  credentials: boolean,
  decisions: readonly CorsDecision[],
  origin: string,
): CorsOutcome {
  const allowed = reason === undefined && response !== undefined;
  const readable = allowed ? readableHeaders(response.headers, credentials) : {};
  const refusal =
    reason === undefined
      ? undefined
      : { step, reason, decision: decisions.find((decision) => decision.preflight === (step === 'preflight')) };
  const problems = [preflight, response].flatMap((answer) => (answer === undefined ? [] : varyProblems(answer, decisions)));
  return {
    allowed,
    refusal,
    preflight,
    response,
    readableHeaders: readable,
    decisions,
    problems,
    canRead: (name) => Object.hasOwn(readable, name.toLowerCase()),
    describe: () => describeOutcome(origin, preflight, response, allowed, refusal, decisions, problems),
  };
}

/** `Vary: Origin` is due when the answer names the origin, or when the library judged it with a policy that is not `'*'`. */
function varyProblems(answer: CorsExchange, decisions: readonly CorsDecision[]): string[] {
  if (variesOnOrigin(answer.headers)) return [];
  const allowOrigin = answer.headers['access-control-allow-origin'];
  const judged = decisions.some((decision) => decision.preflight === (answer.method === 'OPTIONS'));
  if ((allowOrigin !== undefined && allowOrigin !== '*') || (allowOrigin === undefined && judged)) {
    return [
      `${answer.method} ${answer.path}: the answer depends on Origin but has no Vary: Origin (a shared cache may serve it to another origin)`,
    ];
  }
  return [];
}

function describeOutcome(
  origin: string,
  preflight: CorsExchange | undefined,
  response: CorsExchange | undefined,
  allowed: boolean,
  refusal: CorsRefusal | undefined,
  decisions: readonly CorsDecision[],
  problems: readonly string[],
): string {
  const lines = [
    `fetch from ${origin}: ${allowed ? 'allowed' : `refused at the ${refusal?.step ?? 'response'}: ${refusal?.reason ?? ''}`}`,
  ];
  for (const answer of [preflight, response]) {
    if (answer === undefined) continue;
    const cors = Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary');
    lines.push(
      `  ${answer.method} ${answer.path} -> ${answer.status} ${cors.map(([name, value]) => `${name}: ${value}`).join('; ') || '(no CORS headers)'}`,
    );
  }
  for (const decision of decisions) {
    lines.push(
      `  the library decided (${decision.preflight ? 'preflight' : 'actual'}): ${decision.allowed ? 'allowed' : `refused, ${decision.reason ?? ''}`}, ` +
        `route ${decision.route ?? '(none)'}, policy ${decision.policy}`,
    );
  }
  for (const problem of problems) lines.push(`  problem: ${problem}`);
  return lines.join('\n');
}
