/**
 * How a browser judges the answers to a cross-origin `fetch()` (Fetch standard: "CORS check",
 * "CORS-preflight fetch", "CORS-filtered response"). Each check returns why it fails, or
 * `undefined`. Header maps have lower-case names and values combined with `, ` (Fetch "get").
 */
import { SAFELISTED_METHODS } from './fetch-request-rules.js';

type Headers = Readonly<Partial<Record<string, string>>>;

/** Fetch: the CORS check, on a preflight's answer or an actual response. */
export function corsCheck(headers: Headers, origin: string, credentials: boolean): string | undefined {
  const allowOrigin = headers['access-control-allow-origin'];
  if (allowOrigin === undefined) return 'no Access-Control-Allow-Origin header';
  if (!credentials && allowOrigin === '*') return undefined;
  if (allowOrigin === '*') return 'Access-Control-Allow-Origin is "*", which a credentialed request never accepts';
  if (allowOrigin !== origin)
    return `Access-Control-Allow-Origin is ${JSON.stringify(allowOrigin)}, not the page's origin ${JSON.stringify(origin)}`;
  if (!credentials) return undefined;
  const allowCredentials = headers['access-control-allow-credentials'];
  if (allowCredentials === 'true') return undefined;
  return allowCredentials === undefined
    ? 'the request is credentialed and Access-Control-Allow-Credentials is missing (must be exactly "true")'
    : `the request is credentialed and Access-Control-Allow-Credentials is ${JSON.stringify(allowCredentials)}, not exactly "true"`;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Fetch "extract header list values" for Allow-Methods / Allow-Headers; `undefined` when one item is not a token. */
function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.every((item) => TOKEN.test(item)) ? items : undefined;
}

/** What the preflight asked: the actual request's method and header names, and its credentials mode. */
export interface PreflightAsk {
  readonly origin: string;
  readonly method: string;
  /** Lower-case names of every header the page set. */
  readonly headerNames: readonly string[];
  /** The CORS-unsafe ones (what `Access-Control-Request-Headers` listed). */
  readonly unsafeNames: readonly string[];
  readonly credentials: boolean;
}

/** Fetch: the CORS-preflight fetch's checks on the preflight's answer. */
export function preflightCheck(status: number, headers: Headers, ask: PreflightAsk): string | undefined {
  const cors = corsCheck(headers, ask.origin, ask.credentials);
  if (cors !== undefined) return cors;
  if (status < 200 || status > 299) return `the preflight was answered with status ${status}, not an ok status (200-299)`;
  const methods = parseList(headers['access-control-allow-methods']);
  if (methods === undefined)
    return `Access-Control-Allow-Methods ${JSON.stringify(headers['access-control-allow-methods'])} is not a list of methods`;
  const headerNames = parseList(headers['access-control-allow-headers'])?.map((name) => name.toLowerCase());
  if (headerNames === undefined)
    return `Access-Control-Allow-Headers ${JSON.stringify(headers['access-control-allow-headers'])} is not a list of names`;
  // Methods compare case-sensitively; '*' is a wildcard only without credentials.
  if (!methods.includes(ask.method) && !SAFELISTED_METHODS.has(ask.method) && (ask.credentials || !methods.includes('*'))) {
    return `method ${ask.method} is not in Access-Control-Allow-Methods ${JSON.stringify(headers['access-control-allow-methods'] ?? '')}${
      methods.includes('*') ? " ('*' is not a wildcard for a credentialed request)" : ''
    }`;
  }
  if (ask.headerNames.includes('authorization') && !headerNames.includes('authorization')) {
    return `header authorization is not in Access-Control-Allow-Headers ${JSON.stringify(headers['access-control-allow-headers'] ?? '')} ('*' never covers Authorization)`;
  }
  const wildcard = !ask.credentials && headerNames.includes('*');
  const missing = ask.unsafeNames.filter((name) => !headerNames.includes(name) && !wildcard);
  if (missing.length > 0) {
    return `header ${missing.join(', ')} is not in Access-Control-Allow-Headers ${JSON.stringify(headers['access-control-allow-headers'] ?? '')}${
      headerNames.includes('*') && ask.credentials ? " ('*' is not a wildcard for a credentialed request)" : ''
    }`;
  }
  return undefined;
}

/** Fetch: CORS-safelisted response-header names, always readable. */
const SAFELISTED_RESPONSE_HEADERS = [
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
];
const NEVER_READABLE = new Set(['set-cookie', 'set-cookie2']);

/** Fetch: the headers of a CORS-filtered response, the ones the page's script can read. */
export function readableHeaders(headers: Headers, credentials: boolean): Record<string, string> {
  const exposed = (parseList(headers['access-control-expose-headers']) ?? []).map((name) => name.toLowerCase());
  const all = !credentials && exposed.includes('*');
  const readable: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NEVER_READABLE.has(name)) continue;
    if (all || SAFELISTED_RESPONSE_HEADERS.includes(name) || exposed.includes(name)) readable[name] = value;
  }
  return readable;
}

/** Whether `Vary` names `Origin` (or is `*`). */
export function variesOnOrigin(headers: Headers): boolean {
  return (headers.vary ?? '')
    .split(',')
    .map((field) => field.trim().toLowerCase())
    .some((field) => field === 'origin' || field === '*');
}
