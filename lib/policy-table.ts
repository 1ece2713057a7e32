import { pathToRegexp } from 'path-to-regexp';
import type { CompiledPolicy } from './compiled-policy.js';
import type { RouteVersion } from './nest-routes.js';

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
}

interface DynamicRoute {
  readonly regexp: RegExp;
  readonly entry: RouteEntry;
}

const NO_MATCH: PathMatch = { entries: [], policyDependsOnMethod: false };

/**
 * Every route of the app, built once at startup. Static paths are one `Map` lookup whatever
 * the number of routes; paths with parameters or wildcards are tested only among the
 * routes that share their first segment.
 */
export class PolicyTable {
  private readonly staticPaths = new Map<string, PathMatch>();
  private readonly dynamicByFirstSegment = new Map<string, DynamicRoute[]>();
  private readonly dynamicAnywhere: DynamicRoute[] = [];

  constructor(
    entries: readonly RouteEntry[],
    readonly defaults: CompiledPolicy,
  ) {
    const staticEntries = new Map<string, RouteEntry[]>();
    const dynamic: DynamicRoute[] = [];
    for (const entry of entries) {
      const key = normalizePath(entry.path);
      if (isStaticPath(key)) append(staticEntries, key, entry);
      else dynamic.push({ regexp: compilePath(entry.path), entry });
    }
    for (const route of dynamic) {
      const first = firstSegment(route.entry.path);
      if (first !== undefined && isStaticPath(first)) append(this.dynamicByFirstSegment, first.toLowerCase(), route);
      else this.dynamicAnywhere.push(route);
    }
    // A static path may also be served by an earlier route with parameters ("/users/:id" before "/users/me").
    for (const [key, own] of staticEntries) {
      const alsoMatching = this.dynamicCandidates(key)
        .filter((route) => route.regexp.test(key))
        .map((route) => route.entry);
      this.staticPaths.set(key, this.toMatch([...own, ...alsoMatching]));
    }
  }

  /** The routes serving a request path (`req.url`, query string included or not). */
  match(url: string): PathMatch {
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const key = normalizePath(path);
    const known = this.staticPaths.get(key);
    if (known !== undefined) return known;
    const candidates = this.dynamicCandidates(key);
    if (candidates.length === 0) return NO_MATCH;
    const entries: RouteEntry[] = [];
    // The raw path, trailing slash kept: "/docs/" matches "/docs/{*path}" where "/docs" does not.
    for (const route of candidates) if (route.regexp.test(path)) entries.push(route.entry);
    return entries.length === 0 ? NO_MATCH : this.toMatch(entries);
  }

  private dynamicCandidates(key: string): DynamicRoute[] {
    const first = firstSegment(key);
    const bucket = first === undefined ? undefined : this.dynamicByFirstSegment.get(first);
    if (bucket === undefined) return this.dynamicAnywhere;
    return this.dynamicAnywhere.length === 0 ? bucket : [...bucket, ...this.dynamicAnywhere];
  }

  private toMatch(entries: RouteEntry[]): PathMatch {
    entries.sort((a, b) => a.order - b.order);
    // Methods no handler serves get the defaults, so the defaults count as one more policy.
    const policyDependsOnMethod = entries.some((entry) => entry.policy !== this.defaults);
    return { entries, policyDependsOnMethod };
  }
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
