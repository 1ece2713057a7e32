import FindMyWay from 'find-my-way';
import { pathToRegexp } from 'path-to-regexp';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRouteTable } from '../routes/cors-route-table.interface.js';
import type { PathPolicyEntry } from '../routes/path-policies.js';
import { uniformPolicyOf, type PathMatch, type RouteEntry } from '../routes/policy-table.js';
import type { FastifyRouterOptions } from './fastify-instance.js';

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
type Method = FindMyWay.HTTPMethod;

/** What the Fastify table needs to know of the app besides its routes. */
export interface FastifyRouteTableOptions {
  readonly router: Required<FastifyRouterOptions>;
  /** The methods `@All()` registers a route for (the instance's `supportedMethods`). */
  readonly allMethods: readonly string[];
  /** Fastify's `exposeHeadRoutes` (default true): every GET route also answers HEAD. */
  readonly exposeHeadRoutes: boolean;
}

/** A `paths` pattern compiled with the app's router options. */
interface FastifyPathPolicy {
  readonly regexp: RegExp;
  readonly policy: CompiledPolicy;
}

/**
 * The routes of a Fastify app, matched by find-my-way (Fastify's own router) built with the app's
 * router options: the most specific route wins whatever the order, paths are case-sensitive and a
 * trailing slash counts unless the app says otherwise, and Fastify's path syntax
 * (`:n(^\\d+$)`, `*`) is understood. Each method and route pattern stores every handler Nest
 * registered there (host-bound and versioned ones share a pattern), in registration order, so the
 * middleware picks among them as on Express.
 */
export class FastifyRouteTable implements CorsRouteTable {
  private readonly router: Router;
  /** Each method with at least one route, with the policies of its routes: what a preflight's Vary decision looks at. */
  private readonly methods: ReadonlyArray<{ readonly method: string; readonly policies: ReadonlySet<CompiledPolicy> }>;
  private readonly paths: readonly FastifyPathPolicy[];
  readonly uniformPolicy: CompiledPolicy | undefined;
  /**
   * By method, then by path: the answer for a path written exactly as a static route of that
   * method, computed at startup (find-my-way picks the static route for it, whatever else matches).
   */
  private readonly staticMatches = new Map<string, Map<string, PathMatch>>();

  constructor(
    entries: readonly RouteEntry[],
    readonly defaults: CompiledPolicy,
    paths: readonly PathPolicyEntry[],
    options: FastifyRouteTableOptions,
  ) {
    const { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength, allowUnsafeRegex, useSemicolonDelimiter } =
      options.router;
    const config: FindMyWay.Config<FindMyWay.HTTPVersion.V1> & { useSemicolonDelimiter: boolean } = {
      caseSensitive,
      ignoreTrailingSlash,
      ignoreDuplicateSlashes,
      maxParamLength,
      allowUnsafeRegex,
      // Read by find-my-way 9 (it splits the query at ";" too), missing from its types.
      useSemicolonDelimiter,
    };
    this.router = FindMyWay(config);
    const stores = new Map<string, RouteEntry[]>();
    const add = (method: string, entry: RouteEntry) => this.register(stores, method, entry);
    for (const entry of entries) {
      if (entry.method === 'ALL') for (const method of options.allMethods) add(method, entry);
      else add(entry.method, entry);
    }
    // After every explicit route, so that a HEAD handler of its own comes first in its store.
    if (options.exposeHeadRoutes) for (const entry of entries) if (entry.method === 'GET') add('HEAD', entry);
    const policiesByMethod = new Map<string, Set<CompiledPolicy>>();
    for (const [key, store] of stores) {
      const method = key.slice(0, key.indexOf(' '));
      const policies = policiesByMethod.get(method) ?? new Set<CompiledPolicy>();
      for (const entry of store) policies.add(entry.policy);
      policiesByMethod.set(method, policies);
    }
    this.methods = [...policiesByMethod].map(([method, policies]) => ({ method, policies }));
    this.paths = paths.map((path) => ({
      // `paths` patterns keep Nest's (path-to-regexp) syntax, compiled with the router's rules.
      regexp: pathToRegexp(path.pattern, { end: true, trailing: ignoreTrailingSlash, sensitive: caseSensitive }).regexp,
      policy: path.policy,
    }));
    this.uniformPolicy = uniformPolicyOf(entries, defaults, paths);
    for (const key of stores.keys()) {
      const [method, path] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      if (!isStaticRoutePath(path)) continue;
      const fallback = this.fallbackFor(path);
      const match: PathMatch = {
        entries: this.find(method, path),
        fallback,
        policyDependsOnMethod: this.policyDependsOnMethod(path, fallback),
      };
      let byPath = this.staticMatches.get(method);
      if (byPath === undefined) this.staticMatches.set(method, (byPath = new Map<string, PathMatch>()));
      byPath.set(path, match);
    }
  }

  /** The handlers Fastify would run for `method` at `url`, with the fallback and Vary answers computed on demand. */
  match(url: string, method: string): PathMatch {
    const byPath = this.staticMatches.get(method);
    if (byPath !== undefined) {
      const queryStart = url.indexOf('?');
      const known = byPath.get(queryStart === -1 ? url : url.slice(0, queryStart));
      if (known !== undefined) return known;
    }
    return new FastifyPathMatch(this, this.find(method, url), url);
  }

  /** Every handler stored at the route find-my-way picks, or none (a 404 on Fastify). */
  find(method: string, url: string): readonly RouteEntry[] {
    const found = this.router.find(method as Method, url);
    if (found === null) return NONE;
    // Nest answers an empty route parameter ("/users//profile") with a 404, as Express would.
    const params = found.params;
    for (const name in params) if (params[name] === '' && name !== '*') return NONE;
    return found.store as RouteEntry[];
  }

  /** The policy of a path's unserved methods: the first `paths` pattern matching it, or the module defaults. */
  fallbackFor(url: string): CompiledPolicy {
    if (this.paths.length === 0) return this.defaults;
    const path = pathOf(url);
    for (const candidate of this.paths) if (candidate.regexp.test(path)) return candidate.policy;
    return this.defaults;
  }

  /**
   * Whether a preflight's answer at `url` may depend on the requested method: more than one policy
   * among every method's handlers there and the fallback. Host and version filters are not applied,
   * so the answer errs towards `true`: one `Vary` field too many is always safe, one too few is not.
   */
  policyDependsOnMethod(url: string, fallback: CompiledPolicy): boolean {
    // One policy everywhere: no preflight varies by method.
    if (this.uniformPolicy !== undefined) return false;
    for (const { method, policies } of this.methods) {
      // A method whose every route has the fallback's policy cannot change the answer: no lookup.
      if (policies.size === 1 && policies.has(fallback)) continue;
      for (const entry of this.find(method, url)) if (entry.policy !== fallback) return true;
    }
    return false;
  }

  private register(stores: Map<string, RouteEntry[]>, method: string, entry: RouteEntry): void {
    const key = `${method} ${entry.path}`;
    const known = stores.get(key);
    if (known !== undefined) {
      if (!known.includes(entry)) known.push(entry);
      return;
    }
    const store: RouteEntry[] = [entry];
    try {
      this.router.on(method as Method, entry.path, noop, store);
      stores.set(key, store);
    } catch (error) {
      // The same route written otherwise ("/a/:id" and "/a/:name", one per host): one store.
      const existing = this.router.findRoute(method as Method, entry.path);
      if (existing === null) throw error;
      (existing.store as RouteEntry[]).push(entry);
      stores.set(key, existing.store as RouteEntry[]);
    }
  }
}

/** One request's answer: the routes are looked up at once, the rest only if the middleware asks. */
class FastifyPathMatch implements PathMatch {
  private computedFallback: CompiledPolicy | undefined;

  constructor(
    private readonly table: FastifyRouteTable,
    readonly entries: readonly RouteEntry[],
    private readonly url: string,
  ) {}

  get fallback(): CompiledPolicy {
    return (this.computedFallback ??= this.table.fallbackFor(this.url));
  }

  get policyDependsOnMethod(): boolean {
    return this.table.policyDependsOnMethod(this.url, this.fallback);
  }
}

const NONE: readonly RouteEntry[] = [];

/**
 * A route path find-my-way stores as written: no parameter or wildcard, nothing it decodes or
 * splits on (`%`, `;`), so a request path equal to it is that route.
 */
function isStaticRoutePath(path: string): boolean {
  return !/[:*%;]/.test(path);
}

function noop(): void {
  // find-my-way wants a handler; the table only reads the route's store.
}

function pathOf(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}
