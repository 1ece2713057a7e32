import { pathToRegexp } from 'path-to-regexp';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRouteTable } from './cors-route-table.interface.js';
import type { RouteVersion } from './nest-routes.js';
import type { PathPolicyEntry } from './path-policies.js';

/** One handler at one path, with its compiled policy. */
export interface RouteEntry {
  /** Registration order: when several routes match, Nest (Express) runs the first. */
  readonly order: number;
  /** `GET`, `POST`... or `ALL`. */
  readonly method: string;
  readonly path: string;
  readonly policy: CompiledPolicy;
  /** `Controller.handler`, for logs. */
  readonly label: string;
  readonly hosts: readonly RegExp[] | undefined;
  readonly filterVersion: RouteVersion | undefined;
}

/** The routes that match one request path, in registration order. */
export interface PathMatch {
  readonly entries: readonly RouteEntry[];
  /** Whether routes at this path use more than one policy, so that a preflight's answer depends on the requested method. */
  readonly policyDependsOnMethod: boolean;
  /** The policy of methods no route serves here: the first `paths` pattern that matches, or the module defaults. */
  readonly fallback: CompiledPolicy;
}

/** `defaults`, when every route and `paths` pattern has that policy too; else `undefined`. */
export function uniformPolicyOf(
  entries: readonly RouteEntry[],
  defaults: CompiledPolicy,
  paths: readonly PathPolicyEntry[],
): CompiledPolicy | undefined {
  const uniform = entries.every((entry) => entry.policy === defaults) && paths.every((path) => path.policy === defaults);
  return uniform ? defaults : undefined;
}

interface DynamicRoute {
  readonly regexp: RegExp;
  readonly entry: RouteEntry;
}

/** A `paths` pattern with parameters or wildcards, and the answer for a path only it matches. */
interface DynamicPathPolicy {
  readonly entry: PathPolicyEntry;
  readonly alone: PathMatch;
}

/** What may match a path that is not static: routes and `paths` patterns, in one lookup by first segment. */
interface Bucket {
  readonly routes: DynamicRoute[];
  readonly paths: DynamicPathPolicy[];
}

/**
 * Every route of the app, built once at startup. Static paths are one `Map` lookup whatever
 * the number of routes; paths with parameters or wildcards are tested only among the
 * routes that share their first segment. `paths` patterns are resolved the same way: a static
 * path's fallback policy is found at startup, so per request it is still one lookup.
 */
export class PolicyTable implements CorsRouteTable {
  private readonly staticPaths = new Map<string, PathMatch>();
  private readonly byFirstSegment = new Map<string, Bucket>();
  /** Routes and patterns whose first segment is itself dynamic: tested for every path that is not static. */
  private readonly anywhere: Bucket = { routes: [], paths: [] };
  private readonly noMatch: PathMatch;
  readonly uniformPolicy: CompiledPolicy | undefined;

  constructor(
    entries: readonly RouteEntry[],
    readonly defaults: CompiledPolicy,
    /** The `paths` patterns, in declaration order. */
    paths: readonly PathPolicyEntry[] = [],
  ) {
    this.noMatch = { entries: [], policyDependsOnMethod: false, fallback: defaults };
    this.uniformPolicy = uniformPolicyOf(entries, defaults, paths);
    const staticEntries = new Map<string, RouteEntry[]>();
    const dynamic: DynamicRoute[] = [];
    for (const entry of entries) {
      const key = normalizePath(entry.path);
      if (isStaticPath(key)) append(staticEntries, key, entry);
      else dynamic.push({ regexp: compilePath(entry.path), entry });
    }
    for (const route of dynamic) {
      const first = firstSegment(route.entry.path);
      this.bucketFor(first).routes.push(route);
    }
    for (const path of paths) {
      const key = normalizePath(path.pattern);
      if (isStaticPath(key)) {
        if (!staticEntries.has(key)) staticEntries.set(key, []);
        continue;
      }
      const dynamicPath = { entry: path, alone: { entries: [], policyDependsOnMethod: false, fallback: path.policy } };
      this.bucketFor(firstSegment(path.pattern.replace(OPTIONAL_REST, '$1/'))).paths.push(dynamicPath);
    }
    // A static path may also be served by an earlier route with parameters ("/users/:id" before "/users/me").
    for (const [key, own] of staticEntries) {
      const alsoMatching = this.dynamicCandidates(this.bucketOf(key))
        .filter((route) => route.regexp.test(key))
        .map((route) => route.entry);
      const fallback = paths.find((path) => path.regexp.test(key))?.policy ?? defaults;
      this.staticPaths.set(key, toMatch([...own, ...alsoMatching], fallback));
    }
  }

  /** The routes serving a request path (`req.url`, query string included or not). */
  match(url: string): PathMatch {
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const key = normalizePath(path);
    const known = this.staticPaths.get(key);
    if (known !== undefined) return known;
    const bucket = this.bucketOf(key);
    const candidates = this.dynamicCandidates(bucket);
    const empty = this.dynamicPathPolicy(bucket, path)?.alone ?? this.noMatch;
    if (candidates.length === 0) return empty;
    const entries: RouteEntry[] = [];
    // The raw path, trailing slash kept: "/docs/" matches "/docs/{*path}" where "/docs" does not.
    for (const route of candidates) if (route.regexp.test(path)) entries.push(route.entry);
    return entries.length === 0 ? empty : toMatch(entries, empty.fallback);
  }

  /** The first declared dynamic `paths` pattern matching a path that is not static (static ones are resolved at startup). */
  private dynamicPathPolicy(bucket: Bucket | undefined, path: string): DynamicPathPolicy | undefined {
    const inBucket = bucket === undefined || bucket.paths.length === 0 ? undefined : firstMatching(bucket.paths, path);
    const anywhere = this.anywhere.paths.length === 0 ? undefined : firstMatching(this.anywhere.paths, path);
    if (inBucket === undefined || anywhere === undefined) return inBucket ?? anywhere;
    return inBucket.entry.order < anywhere.entry.order ? inBucket : anywhere;
  }

  private dynamicCandidates(bucket: Bucket | undefined): DynamicRoute[] {
    if (bucket === undefined || bucket.routes.length === 0) return this.anywhere.routes;
    return this.anywhere.routes.length === 0 ? bucket.routes : [...bucket.routes, ...this.anywhere.routes];
  }

  /** One lookup per request that is not static: its first segment's routes and patterns. */
  private bucketOf(key: string): Bucket | undefined {
    const first = firstSegment(key);
    return first === undefined ? undefined : this.byFirstSegment.get(first);
  }

  /** Where a dynamic route or pattern goes at startup, by its first segment. */
  private bucketFor(first: string | undefined): Bucket {
    if (first === undefined || !isStaticPath(first)) return this.anywhere;
    const key = first.toLowerCase();
    let bucket = this.byFirstSegment.get(key);
    if (bucket === undefined) this.byFirstSegment.set(key, (bucket = { routes: [], paths: [] }));
    return bucket;
  }
}

function firstMatching(paths: readonly DynamicPathPolicy[], path: string): DynamicPathPolicy | undefined {
  for (const candidate of paths) if (candidate.entry.regexp.test(path)) return candidate;
  return undefined;
}

function toMatch(entries: RouteEntry[], fallback: CompiledPolicy): PathMatch {
  entries.sort((a, b) => a.order - b.order);
  // Methods no handler serves get the fallback, so the fallback counts as one more policy.
  const policyDependsOnMethod = entries.some((entry) => entry.policy !== fallback);
  return { entries, policyDependsOnMethod, fallback };
}

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The key of a static path: Express matches paths case-insensitively and ignores one trailing slash. */
function normalizePath(path: string): string {
  return (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
}

/** `/docs{/*rest}` lies under the first segment `docs`, like `/docs/{*rest}`: bucket it there. */
const OPTIONAL_REST = /^(\/[^/:*{}()\\]+)\{\//;

function isStaticPath(path: string): boolean {
  return !/[:*{}()\\]/.test(path);
}

function firstSegment(path: string): string | undefined {
  const end = path.indexOf('/', 1);
  const segment = end === -1 ? path.slice(1) : path.slice(1, end);
  return segment === '' ? undefined : segment;
}

function compilePath(path: string): RegExp {
  try {
    return pathToRegexp(path, { end: true, trailing: true, sensitive: false }).regexp;
  } catch {
    // Nest converts a few legacy forms ("*", "(.*)") before registering them; do the same.
    return pathToRegexp(path.replace(/\(\.\*\)|\*(?![A-Za-z_])/g, '*path'), { end: true, trailing: true, sensitive: false }).regexp;
  }
}
