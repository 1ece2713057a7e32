import type { CorsConfigurationProblem } from '../../lib/policy/cors-configuration.error.js';
import { declarePathPolicies, type PathPolicyEntry } from '../../lib/routes/path-policies.js';
import { PolicyTable } from '../../lib/routes/policy-table.js';
import { policy, route } from '../support/route-entries.js';

const defaults = policy('defaults');

function pathPolicies(patterns: readonly string[]): PathPolicyEntry[] {
  const problems: CorsConfigurationProblem[] = [];
  const declared = declarePathPolicies(Object.fromEntries(patterns.map((pattern) => [pattern, false])), problems);
  expect(problems).toEqual([]);
  return declared.map(({ pattern, regexp }, order) => ({ order, pattern, regexp, policy: policy(pattern) }));
}

describe('PolicyTable with paths', () => {
  const paths = pathPolicies(['/graphql', '/docs{/*rest}', '/docs-json', '/files/:name', '/{*any}/hidden', '/users/{*rest}', '/users/me']);
  const getMe = route('GET', '/users/me');
  const getById = route('GET', '/users/:id');
  const table = new PolicyTable([getMe, getById], defaults, paths);
  const fallback = (url: string) => table.match(url).fallback.describedAs;

  it('gives a static pattern its policy, case-insensitive, one trailing slash ignored, query ignored', () => {
    expect(fallback('/graphql')).toBe('/graphql');
    expect(fallback('/GraphQL/?query=x')).toBe('/graphql');
    expect(fallback('/docs-json')).toBe('/docs-json');
    expect(table.match('/graphql').entries).toEqual([]);
  });

  it('matches dynamic patterns: parameters, wildcards, optional groups', () => {
    expect(fallback('/docs')).toBe('/docs{/*rest}');
    expect(fallback('/docs/swagger-ui.css')).toBe('/docs{/*rest}');
    expect(fallback('/files/a.txt')).toBe('/files/:name');
    expect(fallback('/a/b/hidden')).toBe('/{*any}/hidden');
  });

  it('gives every other path the module defaults', () => {
    expect(fallback('/nope')).toBe('defaults');
    expect(fallback('/files/a/b')).toBe('defaults');
    expect(fallback('/graphqlx')).toBe('defaults');
  });

  it('keeps the routes that serve a covered path, and the first declared pattern as their fallback', () => {
    // "/users/{*rest}" is declared before "/users/me": it wins for the methods no route serves.
    expect(table.match('/users/me').entries).toEqual([getById, getMe].sort((a, b) => a.order - b.order));
    expect(fallback('/users/me')).toBe('/users/{*rest}');
    expect(table.match('/users/42').entries).toEqual([getById]);
    expect(fallback('/users/42')).toBe('/users/{*rest}');
    expect(fallback('/users/42/x')).toBe('/users/{*rest}');
  });

  it('says a preflight depends on the method when a route and the fallback differ', () => {
    expect(table.match('/users/42').policyDependsOnMethod).toBe(true);
    expect(table.match('/graphql').policyDependsOnMethod).toBe(false);
    const shared = new PolicyTable([route('GET', '/graphql', paths[0].policy)], defaults, paths);
    expect(shared.match('/graphql').policyDependsOnMethod).toBe(false);
  });

  it('the first declared of two overlapping patterns wins, static or dynamic', () => {
    const overlapping = pathPolicies(['/api/{*rest}', '/api/health', '/{*all}']);
    const t = new PolicyTable([], defaults, overlapping);
    expect(t.match('/api/health').fallback.describedAs).toBe('/api/{*rest}');
    expect(t.match('/api/x').fallback.describedAs).toBe('/api/{*rest}');
    expect(t.match('/other').fallback.describedAs).toBe('/{*all}');
    const reversed = new PolicyTable([], defaults, pathPolicies(['/{*all}', '/api/{*rest}']));
    expect(reversed.match('/api/x').fallback.describedAs).toBe('/{*all}');
  });
});

describe('declarePathPolicies', () => {
  const problemsOf = (paths: unknown) => {
    const problems: CorsConfigurationProblem[] = [];
    declarePathPolicies(paths, problems);
    return problems;
  };

  it('reports a pattern that path-to-regexp refuses, naming it', () => {
    const [problem] = problemsOf({ '/files/:': false });
    expect(problem.option).toBe("paths['/files/:']");
    expect(problem.problem).toMatch(/not a valid route pattern.*Missing parameter name/);
  });

  it('reports a pattern without a leading slash, and an argument of the wrong type', () => {
    expect(problemsOf({ graphql: false })[0].option).toBe("paths['graphql']");
    expect(problemsOf({ '/graphql': 42 })[0].declaredAt).toBe("CorsModule.forRoot paths['/graphql']");
  });

  it('accepts objects, names and false', () => {
    expect(problemsOf({ '/a': { origin: '*' }, '/b': 'partners', '/c': false })).toEqual([]);
  });
});
