import { PolicyTable } from '../../lib/routes/policy-table.js';
import { policy, route } from '../support/route-entries.js';

const defaults = policy('defaults');

describe('PolicyTable', () => {
  const byId = route('GET', '/users/:id');
  const me = route('GET', '/users/me');
  const twoParams = route('GET', '/orgs/:org/repos/:repo');
  const wildcard = route('GET', '/files/*path');
  const optional = route('GET', '/docs{/:page}');
  const root = route('GET', '/');
  const post = route('POST', '/users/me');
  const table = new PolicyTable([byId, me, twoParams, wildcard, optional, root, post], defaults);
  const labels = (url: string) => table.match(url).entries.map((entry) => entry.label);

  it('finds a static path, with the earlier parametric route that also matches it first', () => {
    expect(labels('/users/me')).toEqual(['GET /users/:id', 'GET /users/me', 'POST /users/me']);
  });

  it('matches parameters, wildcards and optional groups', () => {
    expect(labels('/users/42')).toEqual(['GET /users/:id']);
    expect(labels('/orgs/nest/repos/core')).toEqual(['GET /orgs/:org/repos/:repo']);
    expect(labels('/files/a/b/c.txt')).toEqual(['GET /files/*path']);
    expect(labels('/docs')).toEqual(['GET /docs{/:page}']);
    expect(labels('/docs/intro')).toEqual(['GET /docs{/:page}']);
  });

  it('ignores the query string, one trailing slash and case, as Express does', () => {
    expect(labels('/USERS/42/?x=1')).toEqual(['GET /users/:id']);
    expect(labels('/?a')).toEqual(['GET /']);
    expect(labels('/USERS/me/?q=/x')).toEqual(['GET /users/:id', 'GET /users/me', 'POST /users/me']);
  });

  it('finds nothing for an unknown path', () => {
    expect(labels('/nope')).toEqual([]);
    expect(labels('/users/1/2')).toEqual([]);
  });

  it('says a preflight answer depends on the method only when the policies at a path differ from the defaults', () => {
    expect(table.match('/users/me').policyDependsOnMethod).toBe(true);
    const shared = new PolicyTable([route('GET', '/a', defaults), route('POST', '/a', defaults)], defaults);
    expect(shared.match('/a').policyDependsOnMethod).toBe(false);
  });
});

describe('uniformPolicy (an app with one policy everywhere needs no route lookup)', () => {
  const defaults = policy('defaults');
  const docs = { order: 0, pattern: '/docs', regexp: /^\/docs$/i, policy: policy('docs') };
  const docsWithDefaults = { ...docs, policy: defaults };

  it('is the defaults when every route and path pattern has them', () => {
    const routes = [route('GET', '/a', defaults), route('POST', '/b/:id', defaults)];
    expect(new PolicyTable(routes, defaults).uniformPolicy).toBe(defaults);
    expect(new PolicyTable(routes, defaults, [docsWithDefaults]).uniformPolicy).toBe(defaults);
    expect(new PolicyTable([], defaults).uniformPolicy).toBe(defaults);
  });

  it('is undefined as soon as one route or one pattern has a policy of its own', () => {
    expect(new PolicyTable([route('GET', '/a', defaults), route('GET', '/c')], defaults).uniformPolicy).toBeUndefined();
    expect(new PolicyTable([route('GET', '/a', defaults)], defaults, [docs]).uniformPolicy).toBeUndefined();
  });
});
