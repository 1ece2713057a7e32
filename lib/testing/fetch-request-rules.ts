/**
 * What a browser sends for a cross-origin `fetch()` in `cors` mode, after the Fetch standard
 * (https://fetch.spec.whatwg.org/): which methods and headers are CORS-safelisted, when a
 * preflight is needed and what its `Access-Control-Request-Headers` says.
 */

/** Fetch: CORS-safelisted methods, sent without a preflight. */
export const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** Fetch "normalize a method": these six are upper-cased, every other method is sent as written. */
const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The method as `fetch()` sends it. */
export function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

const FORBIDDEN_HEADERS = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

/** Fetch: a header a page's script cannot set (the browser sets it, or drops it). */
export function isForbiddenRequestHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return FORBIDDEN_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-');
}

/** Fetch: CORS-unsafe request-header bytes (control characters but tab, and a few delimiters). */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const UNSAFE_BYTE = /[\x00-\x08\x0A-\x1F"():<>?@[\\\]{}\x7F]/;
const LANGUAGE_VALUE = /^[0-9A-Za-z *,\-.;=]*$/;
const SAFELISTED_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const SIMPLE_RANGE = /^bytes=(\d+)-(\d*)$/;

/** Fetch: a CORS-safelisted request-header (name and value). */
export function isSafelistedRequestHeader(name: string, value: string): boolean {
  if (value.length > 128) return false;
  switch (name.toLowerCase()) {
    case 'accept':
      return !UNSAFE_BYTE.test(value);
    case 'accept-language':
    case 'content-language':
      return LANGUAGE_VALUE.test(value);
    case 'content-type': {
      if (UNSAFE_BYTE.test(value)) return false;
      const essence = value.split(';')[0]?.trim().toLowerCase() ?? '';
      return SAFELISTED_CONTENT_TYPES.has(essence);
    }
    case 'range': {
      const range = SIMPLE_RANGE.exec(value);
      return range !== null && (range[2] === '' || Number(range[1]) <= Number(range[2]));
    }
    default:
      return false;
  }
}

/**
 * Fetch: the CORS-unsafe request-header names of a request, as the sorted, lower-case set a
 * preflight sends (joined with `,`, no spaces). Fetch's 1,024-byte limit on safelisted values
 * never applies here: one value per name, at most 128 bytes each, five names.
 */
export function unsafeRequestHeaderNames(headers: Readonly<Record<string, string>>): string[] {
  const unsafe = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!isSafelistedRequestHeader(name, value)) unsafe.add(name.toLowerCase());
  }
  return [...unsafe].sort();
}

/** Whether a browser sends a preflight before this request. */
export function needsPreflight(method: string, unsafeNames: readonly string[]): boolean {
  return !SAFELISTED_METHODS.has(method) || unsafeNames.length > 0;
}
