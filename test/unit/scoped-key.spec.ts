import { describe, expect, it } from '@jest/globals';
import { isKeyOfOrigin, isKeyOfScope, scopedKey } from '../../lib/origins/scoped-key.js';

/** The cache keys of scoped classes: a hostile scope must never make two (scope, origin) pairs share a key. */
describe('scoped cache keys', () => {
  const ORIGIN = 'https://app.acme.example';

  it('tells the origin and the scope of a key, whatever the scope holds', () => {
    const key = scopedKey('acme', ORIGIN);
    expect(isKeyOfOrigin(key, ORIGIN)).toBe(true);
    expect(isKeyOfScope(key, 'acme')).toBe(true);
    expect(isKeyOfScope(key, 'acm')).toBe(false);
    expect(isKeyOfOrigin(key, 'https://acme.example')).toBe(false);
  });

  it('a scope with a line feed and an origin in it does not pass for another pair', () => {
    // scope "evil\nhttps://x.example" + origin: not the key of scope "evil" for any origin.
    const hostile = scopedKey(`evil\n${ORIGIN}`, ORIGIN);
    expect(isKeyOfScope(hostile, 'evil')).toBe(false);
    expect(isKeyOfScope(hostile, `evil\n${ORIGIN}`)).toBe(true);
    expect(isKeyOfOrigin(hostile, ORIGIN)).toBe(true);
    expect(isKeyOfOrigin(hostile, `${ORIGIN}\n${ORIGIN}`)).toBe(false);
  });

  it('the empty scope is a scope of its own', () => {
    expect(isKeyOfScope(scopedKey('', ORIGIN), '')).toBe(true);
    expect(isKeyOfScope(scopedKey('a', ORIGIN), '')).toBe(false);
  });
});
