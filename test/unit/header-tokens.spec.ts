import { isToken, parseRequestedHeaders, splitList } from '../../lib/headers/header-tokens.js';

describe('header tokens', () => {
  it('recognises RFC 9110 tokens', () => {
    expect(isToken('PATCH')).toBe(true);
    expect(isToken('X-Request-Id')).toBe(true);
    expect(isToken('GE T')).toBe(false);
    expect(isToken('X:Y')).toBe(false);
    expect(isToken('')).toBe(false);
  });

  it('splits lists given as strings or arrays, as the cors package accepts both', () => {
    expect(splitList('GET, POST,PATCH')).toEqual(['GET', 'POST', 'PATCH']);
    expect(splitList(['Content-Type', ' X-Id '])).toEqual(['Content-Type', 'X-Id']);
  });

  it.each([
    ['X-Foo', ['x-foo']],
    ['x-foo,x-bar', ['x-foo', 'x-bar']],
    ['X-Foo, X-Bar', ['x-foo', 'x-bar']],
    [' x-foo ,\tcontent-type ', ['x-foo', 'content-type']],
    ['', []],
  ])('parses Access-Control-Request-Headers %j', (value, names) => {
    expect(parseRequestedHeaders(value)).toEqual(names);
  });

  it.each(['x-foo,,x-bar', 'x foo', 'x-foo;', 'x-\u0001', 'é'])('refuses the malformed list %j', (value) => {
    expect(parseRequestedHeaders(value)).toBeUndefined();
  });
});
