/**
 * Issue 28: loopback port rules (`'http://localhost:*'`) and subdomain patterns under a public
 * suffix, at the level of the pure functions: the rule parser, the constant-time loopback
 * check, the Public Suffix List lookup and the RegExp tail reader.
 */
import fc from 'fast-check';
import type { CorsRequest } from '../../lib/cors-request.interface.js';
import { matchesLoopbackPort } from '../../lib/origins/loopback-ports.js';
import { matchOrigin, type OriginRuleSet } from '../../lib/origins/origin-matcher.js';
import { explainInvalidOrigin } from '../../lib/origins/origin-validation.js';
import { publicSuffixOf, regExpTailDomain } from '../../lib/origins/public-suffix.js';
import { parseOriginRuleString, parseSerializedOrigin } from '../../lib/origins/serialized-origin.js';

const REQUEST = { headers: {}, method: 'GET', url: '/' } as unknown as CorsRequest;

/** The keys the six loopback rules compile to. */
const ALL_LOOPBACK = new Set([
  'http://localhost',
  'https://localhost',
  'http://127.0.0.1',
  'https://127.0.0.1',
  'http://[::1]',
  'https://[::1]',
]);

describe('parseOriginRuleString: loopback port rules', () => {
  it.each([
    ['http://localhost:*', 'http://localhost'],
    ['https://localhost:*', 'https://localhost'],
    ['http://127.0.0.1:*', 'http://127.0.0.1'],
    ['https://127.0.0.1:*', 'https://127.0.0.1'],
    ['http://[::1]:*', 'http://[::1]'],
    ['https://[::1]:*', 'https://[::1]'],
    ['HTTP://LOCALHOST:*', 'http://localhost'], // normalised (the compiler warns)
  ])('accepts %s', (rule, key) => {
    expect(parseOriginRuleString(rule)).toEqual({ kind: 'loopbackPorts', key, text: `${key}:*` });
  });

  it.each([
    [
      'https://app.example.com:*',
      /port wildcard on "app.example.com", which is not localhost, 127\.0\.0\.1 or \[::1\]; on any other host, any port means any service on it/,
    ],
    ['https://*.example.com:*', /port wildcard on "\*\.example\.com"/],
    ['http://127.0.0.2:*', /port wildcard on "127\.0\.0\.2"/],
    ['http://localhost.:*', /port wildcard on "localhost\."/],
    ['http://sub.localhost:*', /port wildcard on "sub\.localhost"/],
    ['http://[0:0:0:0:0:0:0:1]:*', /port wildcard on "\[0:0:0:0:0:0:0:1\]"/],
    ['ws://localhost:*', /port wildcard on the scheme ws:/],
    ['http://localhost:5*', /wildcard that is not a leading subdomain label/],
    ['http://localhost:*/', /trailing slash/],
    ['http://user@localhost:*', /userinfo/],
  ])('refuses %s', (rule, problem) => {
    const parsed = parseOriginRuleString(rule);
    expect(parsed).toHaveProperty('problem');
    expect((parsed as { problem: string }).problem).toMatch(problem);
    expect((parsed as { fix: string }).fix).not.toBe('');
  });

  it('the fix of a port wildcard on a public host names the loopback forms', () => {
    expect(parseOriginRuleString('https://app.example.com:*')).toEqual({
      problem:
        '"https://app.example.com:*" has a port wildcard on "app.example.com", which is not localhost, 127.0.0.1 or [::1]; on any other host, any port means any service on it',
      fix: 'list the exact origins with their ports, e.g. "https://app.example.com:8443"; a port wildcard is only for https://localhost:*, https://127.0.0.1:*, https://[::1]:*',
    });
  });
});

describe('matchesLoopbackPort (constant time, the exact bytes of the header)', () => {
  const keys = new Set(['http://localhost', 'http://127.0.0.1', 'http://[::1]']);

  it.each([
    'http://localhost',
    'http://localhost:1',
    'http://localhost:5173',
    'http://localhost:65535',
    'http://localhost:443', // only the scheme's own default port is never written
    'http://127.0.0.1:3001',
    'http://[::1]:6006',
    'http://[::1]',
  ])('allows %s', (origin) => {
    expect(matchesLoopbackPort(keys, origin)).toBe(true);
  });

  it.each([
    'http://localhost.evil.net:5173',
    'http://localhost:5173.evil.net',
    'http://localhost:0',
    'http://localhost:99999',
    'http://localhost:65536',
    'http://localhost:05173', // leading zero
    'http://localhost:80', // default port written out
    'http://localhost:',
    'http://sub.localhost:5173',
    'http://LOCALHOST:5173',
    'HTTP://localhost:5173',
    'http://localhost.:5173', // trailing dot
    'http://user@localhost:5173', // userinfo
    'http://evil.net@localhost:5173',
    'http://localhost%2e:5173',
    'http://127.0.0.2:5173',
    'http://127.1:5173',
    'http://[0:0:0:0:0:0:0:1]:5173',
    'http://[::1]:80',
    'http://[::ffff:127.0.0.1]:5173',
    'https://localhost:5173', // the rule names http: only
    'http://localhost:5173, http://localhost:5174', // several values
    'http://localhost:5173 ',
    'http://localhost:5173/',
    'http://localhost:+5173',
    'http://localhost:５１７３',
  ])('refuses %j', (origin) => {
    expect(matchesLoopbackPort(keys, origin)).toBe(false);
  });

  it('https: rules refuse the https default port written out', () => {
    expect(matchesLoopbackPort(new Set(['https://localhost']), 'https://localhost:443')).toBe(false);
    expect(matchesLoopbackPort(new Set(['https://localhost']), 'https://localhost:80')).toBe(true);
  });

  it('property: allows exactly the serialized origins whose scheme://host is a rule (oracle: the origin parser)', () => {
    const prefix = fc.constantFrom(
      ...ALL_LOOPBACK,
      'http://127.0.0.2',
      'http://localhost.',
      'http://sub.localhost',
      'HTTP://localhost',
      '',
    );
    const suffix = fc.oneof(
      fc.constant(''),
      fc.integer({ min: 0, max: 200_000 }).map((port) => `:${port}`),
      fc.integer({ min: 0, max: 99 }).map((port) => `:0${port}`),
      fc.string({ maxLength: 8 }).map((text) => `:${text}`),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(prefix, suffix, (head, tail) => {
        const origin = head + tail;
        const parsed = parseSerializedOrigin(origin);
        const expected = parsed !== undefined && ALL_LOOPBACK.has(`${parsed.scheme}://${parsed.host}`);
        expect(matchesLoopbackPort(ALL_LOOPBACK, origin)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('matchOrigin answers a loopback port rule next to exact origins, and refuses the rest without a dynamic check', () => {
    const rules: OriginRuleSet = {
      reflectAny: false,
      exact: new Set(['https://app.example.com']),
      subdomains: [],
      regexps: [],
      dynamic: [],
      sources: [],
      exactOnly: true,
      loopbackPorts: new Set(['http://localhost']),
    };
    expect(matchOrigin(rules, 'https://app.example.com', REQUEST)).toBe(true);
    expect(matchOrigin(rules, 'http://localhost:5173', REQUEST)).toBe(true);
    expect(matchOrigin(rules, 'http://localhost:5173.evil.net', REQUEST)).toBe(false);
    expect(matchOrigin({ ...rules, exactOnly: false }, 'http://127.0.0.1:5173', REQUEST)).toBe(false);
  });
});

describe('publicSuffixOf (the Public Suffix List, ICANN and private sections)', () => {
  it.each([
    ['github.io', 'private'],
    ['vercel.app', 'private'],
    ['herokuapp.com', 'private'],
    ['s3.amazonaws.com', 'private'],
    ['co.uk', 'ICANN'],
    ['com', 'ICANN'],
  ])('%s is a public suffix (%s section)', (domain, section) => {
    expect(publicSuffixOf(domain)).toEqual({ suffix: domain, section });
  });

  it.each(['myapp.github.io', 'example.com', 'example.co.uk', 'app.example.internal', 'example.internal'])('%s is not', (domain) => {
    expect(publicSuffixOf(domain)).toBeUndefined();
  });
});

describe('regExpTailDomain (the literal domain a RegExp ends with, after a wildcard part)', () => {
  it.each([
    [/^https:\/\/[a-z0-9-]+\.github\.io$/, 'github.io'],
    [/^https:\/\/.*\.vercel\.app$/, 'vercel.app'],
    [/^https:\/\/([a-z]+\.)+co\.uk$/, 'co.uk'],
    [/^https:\/\/\w+\.herokuapp\.com(:\d+)?$/, 'herokuapp.com'],
    [/^https:\/\/[a-z]+\.example\.com(?::\d+)?$/, 'example.com'],
    [/\.github\.io$/, 'github.io'],
    [/github\.io$/, 'github.io'], // an unanchored start is a wildcard part
  ])('%s ends with %s', (rule, domain) => {
    expect(regExpTailDomain(rule.source)).toBe(domain);
  });

  it.each([/^https:\/\/app\.example\.com$/, /^https:\/\/github\.io$/, /^github\.io$/, /^https:\/\/[a-z]+\.(?:github\.io|vercel\.app)$/])(
    '%s: cannot tell, or no wildcard part',
    (rule) => {
      expect(regExpTailDomain(rule.source)).toBeUndefined();
    },
  );
});

describe('explainInvalidOrigin (what an admin API stores) and loopback port rules', () => {
  it('refuses a port wildcard: patterns belong in @CorsPolicy, not in the stored set', () => {
    expect(explainInvalidOrigin('http://localhost:*')).toBe(
      '"http://localhost:*" has a wildcard; store exact origins (patterns belong in @CorsPolicy)',
    );
    expect(explainInvalidOrigin('http://localhost:5173')).toBeUndefined();
  });
});
