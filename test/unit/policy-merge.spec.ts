import { CorsConfigurationError } from '../../lib/policy/cors-configuration.error.js';
import { declarePolicy, mergePolicy, type DeclaredPolicy } from '../../lib/policy/policy-merge.js';

const defaults = declarePolicy({ origin: ['https://app.example.com'], methods: ['GET', 'POST'], credentials: true, maxAge: 600 }, 'module');
const named = new Map<string, DeclaredPolicy>([['public', declarePolicy({ origin: '*' }, 'policies.public')]]);

describe('mergePolicy (BRIEF §2)', () => {
  it('keeps the module defaults when no decorator applies', () => {
    expect(mergePolicy(defaults, named, [])).toBe(defaults);
  });

  it('lets the handler win over the controller over the defaults, field by field', () => {
    const merged = mergePolicy(defaults, named, [
      { argument: { maxAge: 60, methods: ['PATCH'] }, declaredAt: 'controller' },
      { argument: { maxAge: 20 }, declaredAt: 'handler' },
    ]);
    expect(merged).toEqual({
      options: { origin: ['https://app.example.com'], methods: ['PATCH'], credentials: true, maxAge: 20 },
      sources: { origin: 'module', methods: 'controller', credentials: 'module', maxAge: 'handler' },
    });
  });

  it('replaces arrays, never concatenates them', () => {
    const merged = mergePolicy(defaults, named, [{ argument: { origin: ['https://b.example.com'] }, declaredAt: 'handler' }]);
    expect(merged.off === undefined && merged.options.origin).toEqual(['https://b.example.com']);
  });

  it('replaces everything above with a named policy, whose unset fields are not the defaults', () => {
    const merged = mergePolicy(defaults, named, [{ argument: 'public', declaredAt: 'controller' }]);
    expect(merged).toEqual({ options: { origin: '*' }, sources: { origin: 'policies.public' } });
  });

  it('overrides fields on top of a controller named policy', () => {
    const merged = mergePolicy(defaults, named, [
      { argument: 'public', declaredAt: 'controller' },
      { argument: { maxAge: 5 }, declaredAt: 'handler' },
    ]);
    expect(merged).toEqual({ options: { origin: '*', maxAge: 5 }, sources: { origin: 'policies.public', maxAge: 'handler' } });
  });

  it('switches CORS off with false, until a more specific level sets a policy on top of the defaults', () => {
    expect(mergePolicy(defaults, named, [{ argument: false, declaredAt: 'controller' }])).toEqual({ off: 'controller' });
    const again = mergePolicy(defaults, named, [
      { argument: false, declaredAt: 'controller' },
      { argument: { maxAge: 1 }, declaredAt: 'handler' },
    ]);
    expect(again.off === undefined && again.options).toEqual({ ...defaults.options, maxAge: 1 });
    expect(
      mergePolicy(defaults, named, [
        { argument: { maxAge: 1 }, declaredAt: 'controller' },
        { argument: false, declaredAt: 'handler' },
      ]),
    ).toEqual({ off: 'handler' });
  });

  it('refuses an unknown policy name, listing the known ones', () => {
    expect(() => mergePolicy(defaults, named, [{ argument: 'partners', declaredAt: '@CorsPolicy on A.b' }])).toThrow(
      CorsConfigurationError,
    );
    expect(() => mergePolicy(defaults, named, [{ argument: 'partners', declaredAt: '@CorsPolicy on A.b' }])).toThrow(
      /@CorsPolicy on A\.b.*'partners'.*'public'/s,
    );
  });
});
