import { isSubdomainOf, parseOriginRuleString, parseSerializedOrigin } from '../../lib/origins/serialized-origin.js';

describe('parseSerializedOrigin (the exact bytes of an Origin header)', () => {
  it.each([
    ['https://app.example.com', { scheme: 'https', host: 'app.example.com', port: '' }],
    ['http://localhost:3000', { scheme: 'http', host: 'localhost', port: '3000' }],
    ['http://[::1]:8080', { scheme: 'http', host: '[::1]', port: '8080' }],
    ['https://xn--bcher-kva.example', { scheme: 'https', host: 'xn--bcher-kva.example', port: '' }],
    [`https://${'a'.repeat(63)}.example`, { scheme: 'https', host: `${'a'.repeat(63)}.example`, port: '' }],
    [
      `https://${`${'a'.repeat(50)}.`.repeat(4)}${'b'.repeat(49)}`,
      { scheme: 'https', host: `${`${'a'.repeat(50)}.`.repeat(4)}${'b'.repeat(49)}`, port: '' },
    ],
  ])('accepts %s', (value, parsed) => {
    expect(parseSerializedOrigin(value)).toEqual(parsed);
  });

  it.each([
    'https://APP.example.com', // browsers serialize lower case
    'HTTPS://app.example.com',
    'https://app.example.com/', // trailing slash
    'https://app.example.com/path',
    'https://app.example.com:443', // default port never sent
    'http://app.example.com:80',
    'https://app.example.com:0443',
    'https://app.example.com:65536',
    'https://evil.com@app.example.com', // userinfo
    'https://app%2Eexample.com',
    'https://app.example.com.', // trailing dot: a different origin, never a rule
    'https://app..example.com',
    ' https://app.example.com',
    'https://app.example.com, https://evil.com', // several values
    'app.example.com',
    '',
    'null',
    'https://bücher.example',
    `https://${'a'.repeat(64)}.example.com`, // a DNS label is at most 63 bytes
    `https://x.${'a'.repeat(64)}`,
    `https://${`${'a'.repeat(50)}.`.repeat(5)}example`, // a host name is at most 253 bytes (here 262)
  ])('refuses %j', (value) => {
    expect(parseSerializedOrigin(value)).toBeUndefined();
  });
});

describe('parseOriginRuleString (rules, at startup)', () => {
  it('refuses a rule whose host no page can have, and says why', () => {
    expect(parseOriginRuleString(`https://*.${'a'.repeat(64)}.example.com`)).toEqual({
      problem: expect.stringContaining('is not a serialized origin'),
      fix: expect.stringContaining('at most 63 bytes'),
    });
  });

  it('normalises an exact origin to what browsers send', () => {
    expect(parseOriginRuleString('https://App.Example.com')).toEqual({ kind: 'exact', origin: 'https://app.example.com' });
  });

  it('parses a subdomain pattern, port included', () => {
    expect(parseOriginRuleString('https://*.example.com:8443')).toMatchObject({
      kind: 'subdomains',
      scheme: 'https',
      domain: 'example.com',
      port: '8443',
    });
  });

  it.each([
    ['app.example.com', 'has no scheme', 'https://app.example.com'],
    ['https://app.example.com/', 'trailing slash', '"https://app.example.com"'],
    ['https://app.example.com/api', 'a path', '"https://app.example.com"'],
    ['https://app.*.com', 'wildcard', 'subdomain pattern'],
    ['https://*example.com', 'wildcard', 'subdomain pattern'],
    ['https://*.com', 'top-level domain', 'registrable domain'],
    ['https://app.example.com:443', 'not a serialized origin', 'leave out the default port'],
    ['https://user@app.example.com', 'userinfo', '"https://app.example.com"'],
  ])('refuses %j: problem mentions %j, fix mentions %j', (rule, problem, fix) => {
    const result = parseOriginRuleString(rule);
    expect(result).toHaveProperty('problem', expect.stringContaining(problem));
    expect(result).toHaveProperty('fix', expect.stringContaining(fix));
  });
});

describe('isSubdomainOf', () => {
  const pattern = parseOriginRuleString('https://*.app.example.com') as Extract<
    ReturnType<typeof parseOriginRuleString>,
    { kind: 'subdomains' }
  >;
  const check = (origin: string) => {
    const parsed = parseSerializedOrigin(origin);
    return parsed !== undefined && isSubdomainOf(parsed, pattern);
  };

  it('matches subdomains at any depth', () => {
    expect(check('https://a.app.example.com')).toBe(true);
    expect(check('https://a.b.app.example.com')).toBe(true);
  });

  it.each([
    'https://app.example.com', // the apex
    'https://evilapp.example.com',
    'https://a.app.example.com.evil.net',
    'http://a.app.example.com',
    'https://a.app.example.com:8443',
    'https://xapp.example.com',
  ])('never matches %s', (origin) => {
    expect(check(origin)).toBe(false);
  });
});

describe('subdomain patterns on IP addresses', () => {
  it('are refused, since "*.0.0.1" would match 127.0.0.1', () => {
    expect(parseOriginRuleString('https://*.0.0.1')).toHaveProperty('problem', expect.stringContaining('IP address'));
  });
});
