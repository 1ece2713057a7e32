/** RFC 9110 token characters: what a method or a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Whether a header name is `Vary`, whatever its case (the common spellings without lower-casing). */
export function isVaryName(name: string): boolean {
  return name === 'Vary' || name === 'vary' || (name.length === 4 && name.toLowerCase() === 'vary');
}

/** Splits an option given as a list or as a comma-separated string (the `cors` package accepts both). */
export function splitList(value: string | readonly string[]): string[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** A comma-separated list of tokens with optional whitespace (`Access-Control-Request-Headers`). */
const TOKEN_LIST = /^[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*[ \t]*$/;

/** Whether `Access-Control-Request-Headers` is a well-formed list (one regex, no allocation). */
export function isRequestedHeaderList(value: string): boolean {
  return TOKEN_LIST.test(value) || /^[ \t]*$/.test(value);
}

/**
 * Parses `Access-Control-Request-Headers` into lower-case names; `undefined` when it is not a
 * list of tokens (so that nothing malformed is ever reflected). An empty value is an empty list.
 */
export function parseRequestedHeaders(value: string): string[] | undefined {
  // Only the spaces and tabs HTTP allows: String#trim() would also accept U+00A0, LF...
  if (/^[ \t]*$/.test(value)) return [];
  if (!TOKEN_LIST.test(value)) return undefined;
  return value.split(',').map((name) => name.trim().toLowerCase());
}
