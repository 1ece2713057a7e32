/**
 * The cache keys of scoped classes: `scope`, a line feed, then the origin. A serialized origin
 * never holds a line feed, so the last one splits every key in exactly one way: two (scope,
 * origin) pairs never share a key, whatever a hostile scope contains.
 */
const SEPARATOR = '\n';

/** Scopes longer than this are refused as `'no scope'`: a scope is untrusted input and sits in every key. */
export const MAX_SCOPE_LENGTH = 256;

/** The key of `origin` in `scope`. */
export function scopedKey(scope: string, origin: string): string {
  return scope + SEPARATOR + origin;
}

/** What every key of `scope` starts with. */
export function scopePrefix(scope: string): string {
  return scope + SEPARATOR;
}

/** Whether `key` is the key of `origin`, in any scope. */
export function isKeyOfOrigin(key: string, origin: string): boolean {
  return key.endsWith(SEPARATOR + origin) && key.lastIndexOf(SEPARATOR) === key.length - origin.length - 1;
}

/** Whether `key` is a key of `scope`, for any origin. */
export function isKeyOfScope(key: string, scope: string): boolean {
  return key.startsWith(scope + SEPARATOR) && key.lastIndexOf(SEPARATOR) === scope.length;
}
