import { readRouterOptions, type FastifyInstanceLike } from '../../lib/fastify/fastify-instance.js';
import { FastifyRouteTable, type FastifyRouteTableOptions } from '../../lib/fastify/fastify-route-table.js';
import type { PathPolicyEntry } from '../../lib/routes/path-policies.js';
import { policy, route } from '../support/route-entries.js';

const defaults = policy('defaults');

const ROUTER = {
  caseSensitive: true,
  ignoreTrailingSlash: false,
  ignoreDuplicateSlashes: false,
  maxParamLength: 100,
  allowUnsafeRegex: false,
  useSemicolonDelimiter: false,
};
const OPTIONS: FastifyRouteTableOptions = {
  router: ROUTER,
  allMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  exposeHeadRoutes: true,
};

describe('FastifyRouteTable', () => {
  const byId = route('GET', '/users/:id');
  const me = route('GET', '/users/me');
  const patch = route('PATCH', '/users/:id');
  const numbers = route('GET', '/num/:n(^\\d+$)');
  const any = route('ALL', '/any');
  const docs: PathPolicyEntry = { order: 0, pattern: '/docs/{*rest}', regexp: /unused/, policy: policy('docs') };
  const table = new FastifyRouteTable([byId, me, patch, numbers, any], defaults, [docs], OPTIONS);
  const labels = (url: string, method: string) => table.match(url, method).entries.map((entry) => entry.label);

  it('picks the most specific route whatever the declaration order, per method', () => {
    expect(labels('/users/me', 'GET')).toEqual(['GET /users/me']);
    expect(labels('/users/me', 'PATCH')).toEqual(['PATCH /users/:id']);
    expect(labels('/users/42?x=1', 'GET')).toEqual(['GET /users/:id']);
  });

  it('is case-sensitive and counts a trailing slash, as Fastify by default', () => {
    expect(labels('/USERS/me', 'GET')).toEqual([]);
    expect(labels('/users/me/', 'GET')).toEqual([]);
  });

  it("understands Fastify's regexp parameters", () => {
    expect(labels('/num/12', 'GET')).toEqual(['GET /num/:n(^\\d+$)']);
    expect(labels('/num/ab', 'GET')).toEqual([]);
  });

  it('answers HEAD with the GET route, and every method with an @All() route', () => {
    expect(labels('/users/me', 'HEAD')).toEqual(['GET /users/me']);
    expect(labels('/any', 'DELETE')).toEqual(['ALL /any']);
  });

  it('treats an empty route parameter as no route (Nest answers it with a 404)', () => {
    expect(labels('/users/', 'GET')).toEqual([]);
  });

  it('gives paths no route serves the first matching paths pattern, else the defaults', () => {
    expect(table.match('/docs/a/b', 'GET').fallback).toBe(docs.policy);
    expect(table.match('/DOCS/a', 'GET').fallback).toBe(defaults);
    expect(table.match('/users/me', 'GET').fallback).toBe(defaults);
  });

  it('says a preflight depends on the method where more than one policy serves the path', () => {
    expect(table.match('/users/me', 'GET').policyDependsOnMethod).toBe(true);
    const shared = new FastifyRouteTable([route('GET', '/a', defaults), route('POST', '/a', defaults)], defaults, [], OPTIONS);
    expect(shared.match('/a', 'GET').policyDependsOnMethod).toBe(false);
  });

  it("follows the app's router options", () => {
    const relaxed = new FastifyRouteTable([me], defaults, [], {
      ...OPTIONS,
      router: { ...ROUTER, caseSensitive: false, ignoreTrailingSlash: true },
    });
    expect(relaxed.match('/USERS/me/', 'GET').entries).toEqual([me]);
  });
});

describe('readRouterOptions', () => {
  const instance = (initialConfig: object): FastifyInstanceLike =>
    ({ initialConfig, supportedMethods: [], hasPlugin: () => false, addHook: () => undefined }) as FastifyInstanceLike;

  it('reads Fastify 5 routerOptions, and the top-level spelling where routerOptions holds the defaults', () => {
    expect(
      readRouterOptions(instance({ routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 50 } })),
    ).toMatchObject({
      caseSensitive: false,
      ignoreTrailingSlash: true,
      maxParamLength: 50,
    });
    expect(readRouterOptions(instance({ caseSensitive: false, maxParamLength: 30, routerOptions: { maxParamLength: 100 } }))).toMatchObject(
      {
        caseSensitive: false,
        maxParamLength: 30,
      },
    );
    expect(readRouterOptions(instance({}))).toEqual({ ...ROUTER });
  });
});
