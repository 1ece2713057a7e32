/** The testing kit's Fetch-standard rules, without a server. */
import { describe, expect, it } from '@jest/globals';
import { needsPreflight, normalizeMethod, unsafeRequestHeaderNames } from '../../lib/testing/fetch-request-rules.js';
import { corsCheck, readableHeaders, variesOnOrigin } from '../../lib/testing/fetch-response-rules.js';

const PAGE = 'https://app.example.com';

describe('requests as fetch() sends them', () => {
  it.each([
    ['get', 'GET'],
    ['Put', 'PUT'],
    ['options', 'OPTIONS'],
    ['patch', 'patch'],
    ['PATCH', 'PATCH'],
    ['Custom', 'Custom'],
  ])('normalizes the method %s to %s', (method, sent) => {
    expect(normalizeMethod(method)).toBe(sent);
  });

  it('lists the unsafe header names lower-case, sorted, once', () => {
    expect(unsafeRequestHeaderNames({ 'X-B': '1', 'x-a': '1', 'Content-Type': 'application/json', Accept: '*/*' })).toEqual([
      'content-type',
      'x-a',
      'x-b',
    ]);
  });

  it.each([
    ['text/plain;charset=UTF-8', []],
    ['multipart/form-data; boundary=x', []],
    ['application/json', ['content-type']],
    ['text/plain; x="a"', ['content-type']], // `"` is a CORS-unsafe byte
    [`text/plain; ${'a'.repeat(120)}`, ['content-type']], // over 128 bytes
  ])('Content-Type %s is unsafe: %j', (value, unsafe) => {
    expect(unsafeRequestHeaderNames({ 'Content-Type': value })).toEqual(unsafe);
  });

  it('preflights non-safelisted methods and unsafe headers only', () => {
    expect(needsPreflight('GET', [])).toBe(false);
    expect(needsPreflight('POST', [])).toBe(false);
    expect(needsPreflight('DELETE', [])).toBe(true);
    expect(needsPreflight('GET', ['x-a'])).toBe(true);
  });
});

describe('the CORS check', () => {
  it.each([
    [{ 'access-control-allow-origin': '*' }, false, undefined],
    [{ 'access-control-allow-origin': '*' }, true, '"*"'],
    [{ 'access-control-allow-origin': PAGE }, false, undefined],
    [{ 'access-control-allow-origin': PAGE }, true, 'Access-Control-Allow-Credentials is missing'],
    [{ 'access-control-allow-origin': PAGE, 'access-control-allow-credentials': 'true' }, true, undefined],
    [{ 'access-control-allow-origin': PAGE, 'access-control-allow-credentials': 'TRUE' }, true, 'not exactly "true"'],
    [{ 'access-control-allow-origin': `${PAGE}/` }, false, "not the page's origin"],
    [{ 'access-control-allow-origin': `${PAGE}, ${PAGE}` }, false, "not the page's origin"],
    [{}, false, 'no Access-Control-Allow-Origin'],
  ])('%j, credentials %s: %s', (headers, credentials, failure) => {
    const result = corsCheck(headers, PAGE, credentials);
    if (failure === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(failure);
  });

  it('reads safelisted and exposed headers only, never Set-Cookie', () => {
    const headers = { 'content-type': 'a', 'x-a': '1', 'x-b': '2', 'set-cookie': 'c', 'access-control-expose-headers': 'X-A, Set-Cookie' };
    expect(Object.keys(readableHeaders(headers, false)).sort()).toEqual(['content-type', 'x-a']);
  });

  it('finds Origin in Vary, in any case and position, or *', () => {
    expect(variesOnOrigin({ vary: 'Accept-Encoding, origin' })).toBe(true);
    expect(variesOnOrigin({ vary: '*' })).toBe(true);
    expect(variesOnOrigin({ vary: 'Origin-Agent' })).toBe(false);
    expect(variesOnOrigin({})).toBe(false);
  });
});
