import type { Type } from '@nestjs/common';
import type { CorsDecisionHook } from '../decisions/cors-decision.interface.js';
import type { CorsOriginResolver } from '../origins/cors-origin-resolver.interface.js';
import type { CorsOriginSource } from '../origins/cors-origin-source.interface.js';
import type { CorsRequest } from '../cors-request.interface.js';

/** What the `cors` package's origin callback may answer: allow, refuse, or a rule to test. */
export type CorsStaticOriginAnswer = boolean | string | RegExp | Array<boolean | string | RegExp>;

/** The `cors` package's callback, as passed to a callback-form origin function. */
export type CorsOriginCallback = (error: Error | null, allow?: CorsStaticOriginAnswer) => void;

/**
 * An origin function. Two forms are accepted, so that functions written for
 * `app.enableCors()` keep working:
 * - a predicate `(origin, request) => boolean | Promise<boolean>`;
 * - the `cors` package's callback form `(origin, callback) => void`.
 *
 * The second argument is the request and can also be called as the callback, so one
 * signature serves both. It is only called for a valid serialized origin that no static
 * rule of the same list allowed.
 *
 * @example
 * ```ts
 * origin: async (origin, request) => origin.endsWith('.partner.example') && request.method === 'GET'
 * origin: (origin, callback) => callback(null, allowList.includes(origin))
 * ```
 */
export type CorsOriginFunction = (origin: string, requestOrCallback: CorsRequest & CorsOriginCallback) => boolean | Promise<boolean> | void; // eslint-disable-line @typescript-eslint/no-invalid-void-type -- the callback form returns nothing

/**
 * One origin rule:
 * - `true`: reflect any valid origin (never `null`); `false`: CORS off;
 * - `'*'`: any origin, answered with `Access-Control-Allow-Origin: *` (never with credentials);
 * - an exact origin `'https://app.example.com'` (scheme, host, optional port; no path, no slash);
 * - a subdomain pattern `'https://*.example.com'`: any subdomain at any depth, never the apex
 *   (refused directly under a public suffix such as `github.io`: see `dangerouslyAllowPublicSuffixSubdomains`);
 * - a loopback port rule `'http://localhost:*'`, `'http://127.0.0.1:*'`, `'http://[::1]:*'` (or `https:`):
 *   that scheme and host with any port 1-65535 or none, for local development;
 * - a `RegExp`, tested against the whole `Origin` header (anchor it: `/^https:\/\/app\.example\.com$/`);
 * - a function ({@link CorsOriginFunction});
 * - an `@Injectable()` class implementing {@link CorsOriginResolver}, listed in a module's `providers`;
 * - an `@Injectable()` class implementing {@link CorsOriginSource} (the whole set loaded in memory), listed likewise.
 */
export type CorsOriginRule = boolean | string | RegExp | CorsOriginFunction | Type<CorsOriginResolver> | Type<CorsOriginSource>;

/**
 * A CORS policy. Same names, types and defaults as the `cors` package's options, so that
 * `CorsModule.forRoot(o)` is a drop-in for `app.enableCors(o)`.
 */
export interface CorsPolicyOptions {
  /**
   * Which origins may read responses: one {@link CorsOriginRule} or a list of them.
   * In a list, static rules are checked first, then functions and resolvers in order.
   * @defaultValue `'*'` (as in the `cors` package)
   * @example `origin: ['https://app.example.com', 'https://*.example.com', PartnerOrigins]`
   */
  origin?: CorsOriginRule | CorsOriginRule[];
  /**
   * Methods sent in `Access-Control-Allow-Methods` on preflights, as a list or a
   * comma-separated string. Method names compare case-sensitively: write them in upper case.
   * @defaultValue `'GET,HEAD,PUT,PATCH,POST,DELETE'`
   */
  methods?: string | string[];
  /**
   * Request headers sent in `Access-Control-Allow-Headers`. When unset, the headers a
   * preflight asks for (`Access-Control-Request-Headers`) are reflected, as the `cors`
   * package does. `'*'` never covers `Authorization`: list it by name.
   * @defaultValue reflect the requested headers
   * @example `allowedHeaders: ['Content-Type', 'Authorization']`
   */
  allowedHeaders?: string | string[];
  /**
   * Response headers the page's JavaScript may read (`Access-Control-Expose-Headers`).
   * @defaultValue none
   */
  exposedHeaders?: string | string[];
  /**
   * Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Never with origin `'*'`.
   * @defaultValue `false`
   */
  credentials?: boolean;
  /**
   * How long (seconds) browsers may cache a preflight answer (`Access-Control-Max-Age`).
   * @defaultValue not sent (browsers use 5 seconds)
   */
  maxAge?: number;
  /**
   * Pass preflights on to the route's own `@Options()` handler after setting the headers.
   * @defaultValue `false`
   */
  preflightContinue?: boolean;
  /**
   * Status of a preflight answer, 200 to 299.
   * @defaultValue `204`
   */
  optionsSuccessStatus?: number;
  /**
   * Keep subdomain patterns directly under a public suffix of the Public Suffix List
   * (`'https://*.github.io'`, `'https://*.vercel.app'`, `'https://*.co.uk'`), which are
   * otherwise refused at startup: anyone can get a subdomain there, so such a pattern trusts
   * every stranger's page. Warned at startup. Prefer listing your own subdomains, or a pattern
   * under a domain you own (`'https://*.myapp.github.io'`). Merged like the other fields.
   * @defaultValue `false`
   * @example `@CorsPolicy({ origin: 'https://*.github.io', dangerouslyAllowPublicSuffixSubdomains: true })`
   */
  dangerouslyAllowPublicSuffixSubdomains?: boolean;
}

/** Settings of the cache in front of every {@link CorsOriginResolver}. */
export interface CorsResolverCacheOptions {
  /**
   * How long an answer (allowed or refused) is kept, in milliseconds. `0` disables caching.
   * @defaultValue `60000`
   */
  ttlMs?: number;
  /**
   * The most answers kept per resolver; the least recently used go first.
   * Allowed and refused answers are kept apart, up to this many each, so refusals never evict allowed answers.
   * @defaultValue `10000`
   */
  maxEntries?: number;
}

/**
 * Strict mode: refuse, before any guard or handler runs, what CORS alone only hides from
 * the page. Trade-off: a refused origin's requests fail with 403 instead of running, so
 * list every origin that legitimately calls the API, the app's own included.
 */
export interface CorsStrictOptions {
  /**
   * The app's own origins (e.g. `https://api.example.com`). Browsers send `Origin` on
   * same-origin `POST`, `PUT`, `PATCH` and `DELETE` too: requests from these origins are
   * never refused by strict mode, whatever the route's policy. When set, a WebSocket handshake
   * (gateways and every other upgrade) counts as the app's own only when its `Origin` is one of
   * these, never by comparing it with the `Host` header (which a DNS-rebinding page controls,
   * and which misses the scheme behind a TLS-terminating proxy).
   * @defaultValue `[]` (and handshakes compare `Origin` with the connection's scheme and `Host`)
   */
  appOrigins?: string[];
}

/**
 * Options of `CorsModule.forRoot()`: the module defaults (a {@link CorsPolicyOptions})
 * plus module-wide settings.
 *
 * @example
 * ```ts
 * CorsModule.forRoot({
 *   origin: ['https://app.example.com', PartnerOrigins],
 *   credentials: true,
 *   policies: { public: { origin: '*' } },
 * })
 * ```
 */
export interface CorsModuleOptions extends CorsPolicyOptions {
  /**
   * Named policies, used as `@CorsPolicy('name')`. A named policy is a full policy: it
   * replaces the module defaults for what it covers (its unset fields take the `cors`
   * package defaults), and a handler may still override fields on top of it.
   */
  policies?: Record<string, CorsPolicyOptions>;
  /**
   * Log every refusal (origin, route, policy, failed check and the fix) through Nest's
   * `Logger`, context `CorsPolicy`. `true` logs every refusal (for development);
   * `{ refusals: 'sampled' }` is safe in production: see {@link CorsDebugOptions}.
   * @defaultValue `false`
   * @example `debug: process.env.NODE_ENV === 'production' ? { refusals: 'sampled', windowMs: 60_000 } : true`
   */
  debug?: boolean | CorsDebugOptions;
  /** Cache of resolver answers. @defaultValue `{ ttlMs: 60000, maxEntries: 10000 }` */
  resolverCache?: CorsResolverCacheOptions;
  /**
   * How long a resolver or an origin function may take before the origin is refused, in milliseconds.
   * @defaultValue `1000`
   */
  resolverTimeoutMs?: number;
  /**
   * The most lookups in flight at once per resolver (`CorsOriginResolver` class). An uncached
   * origin beyond that waits in the resolver's queue (`resolverMaxQueued`) for at most
   * `resolverTimeoutMs`; when the queue is full or the wait times out it is refused, not cached,
   * and logged once per burst (`debug` reason "resolver busy"): a flood of made-up origins cannot
   * pile up behind your database pool, and cached answers keep being served. Concurrent requests
   * for one origin share one lookup and count once. Keep it at or below the pool the resolver queries.
   * @defaultValue `32`
   * @example `resolverMaxInFlight: 8`
   */
  resolverMaxInFlight?: number;
  /**
   * How many lookups per resolver may wait for one of its `resolverMaxInFlight` slots, each for
   * at most `resolverTimeoutMs`; beyond (or after that wait) an uncached origin is refused as
   * "resolver busy", not cached. First come, first served: honest origins arriving together (a
   * deploy, a flushed cache) are all asked; during a flood of made-up origins, an honest uncached
   * origin waits behind the ones queued before it and may be refused as busy (its next request
   * asks again), while cached origins are never delayed. `0`: no queue, an uncached origin is
   * refused at once beyond `resolverMaxInFlight`. A request may thus wait up to
   * `resolverTimeoutMs` in the queue, then up to `resolverTimeoutMs` for the resolver.
   * @defaultValue `1000` (with 32 in flight, a cold burst of about a thousand distinct origins gets through)
   * @example `resolverMaxQueued: 200`
   */
  resolverMaxQueued?: number;
  /**
   * Strict mode (off by default). With it, an actual request whose `Origin` the route's
   * policy refuses gets 403 before guards and the handler run (a line of defence for
   * state-changing simple requests, which CORS lets through), and a malformed preflight
   * (an `Origin`, `Access-Control-Request-Method` or `Access-Control-Request-Headers` no
   * browser would send) gets 400. Routes with CORS off and requests without `Origin` are
   * not affected.
   * @defaultValue `false`
   * @example `strict: { appOrigins: ['https://api.example.com'] }`
   */
  strict?: boolean | CorsStrictOptions;
  /**
   * Policies for paths that no controller serves: a GraphQL endpoint, Swagger UI and its JSON,
   * static files, handlers mounted with `app.use()`. Keys are path patterns in Nest's route
   * syntax (path-to-regexp v8: `/graphql`, `/files/:name`, `/docs/{*rest}`), matched as Express
   * matches routes (case-insensitive, one trailing slash ignored) against the path the browser
   * requests: the global prefix is not added. Values are what `@CorsPolicy()` accepts: an
   * options object (merged over the module defaults, as a controller's `@CorsPolicy` is), a
   * policy name, or `false` (no CORS headers).
   *
   * Precedence: a controller route that serves the request (for a preflight, the handler of the
   * requested method) keeps its own policy; otherwise the first matching pattern, in
   * declaration order; otherwise the module defaults. Preflights, strict mode,
   * `corsCsrfExclusion()` and `CorsPolicyMap` follow the same rules. Patterns and policies are
   * validated at startup; errors name `paths['<pattern>']`.
   * @defaultValue `{}` (every path no controller serves gets the module defaults)
   * @example `paths: { '/graphql': 'partners', '/docs{/*rest}': { origin: '*', credentials: false }, '/internal/{*rest}': false }`
   */
  paths?: Record<string, CorsPolicyArgument>;
  /**
   * Called once for every request that carries `Origin` and meets an enabled policy
   * (preflight or actual), after the verdict, with what was decided and why
   * ({@link CorsDecision}): for metrics and audit logs. It runs synchronously after the CORS
   * headers are set and cannot change or delay the response: what it throws or rejects is
   * logged once per burst, a promise it returns is not awaited. Unset, it costs nothing.
   * @defaultValue none
   * @example
   * ```ts
   * onDecision: (decision) => {
   *   if (!decision.allowed) refusals.inc({ route: decision.route ?? 'none', reason: decision.reason ?? 'unknown' });
   * }
   * ```
   */
  onDecision?: CorsDecisionHook;
}

/**
 * `debug` as an object: how refusals are logged.
 * @example `debug: { refusals: 'sampled', windowMs: 60_000 }`
 */
export interface CorsDebugOptions {
  /**
   * `'all'`: every refusal, as `debug: true`. `'sampled'`: each (origin, route, reason) once
   * per `windowMs`, with the number of the same refusals not logged since; at most 1,000
   * distinct keys per window (a flood of made-up origins cannot grow memory or the log
   * without bound: the refusals beyond are counted in the next line).
   */
  refusals: 'all' | 'sampled';
  /**
   * With `'sampled'`: the window, in milliseconds.
   * @defaultValue `60000`
   */
  windowMs?: number;
}

/** The argument of `@CorsPolicy()`: fields to set, the name of a policy, or `false` for no CORS. */
export type CorsPolicyArgument = CorsPolicyOptions | string | false;
