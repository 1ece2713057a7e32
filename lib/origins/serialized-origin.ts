import { parseLoopbackPortRule, PORT_WILDCARD, type LoopbackPortRule } from './loopback-ports.js';

/**
 * The grammar of a serialized origin (Fetch standard, "ASCII serialization of an origin"):
 * `scheme "://" host [ ":" port ]`, lower case, no default port, no path, no userinfo.
 * Browsers send exactly this in `Origin`, so anything else is refused before any rule
 * is consulted, and rules are checked against it at startup.
 */
const SERIALIZED_ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::([1-9][0-9]{0,4}))?$/;

/** DNS limits (RFC 1035): a host name no page can have is not a page's origin. */
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };

export interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  /** The port as written, `''` when absent. */
  readonly port: string;
}

/** Parses the exact bytes of an `Origin` header; `undefined` when they are not a serialized origin. */
export function parseSerializedOrigin(value: string): ParsedOrigin | undefined {
  const match = SERIALIZED_ORIGIN.exec(value);
  if (match === null) return undefined;
  const [, scheme, host, port = ''] = match;
  if (port !== '' && (Number(port) > 65_535 || DEFAULT_PORTS[scheme] === port)) return undefined;
  // Only a host longer than one label can break a limit: most origins skip the label scan.
  if (host.length > MAX_LABEL_LENGTH && !host.startsWith('[') && !isDnsSized(host)) return undefined;
  return { scheme, host, port };
}

/** Whether a host name fits DNS: at most 253 bytes, each label at most 63. */
function isDnsSized(host: string): boolean {
  if (host.length > MAX_HOST_LENGTH) return false;
  let labelStart = 0;
  for (let index = 0; index <= host.length; index++) {
    if (index === host.length || host.charCodeAt(index) === 46 /* '.' */) {
      if (index - labelStart > MAX_LABEL_LENGTH) return false;
      labelStart = index + 1;
    }
  }
  return true;
}

/** An origin rule string, normalised at startup. */
export type OriginRuleString =
  | { readonly kind: 'exact'; readonly origin: string }
  | { readonly kind: 'subdomains'; readonly scheme: string; readonly domain: string; readonly port: string; readonly text: string }
  | LoopbackPortRule
  | { readonly kind: 'null' };

/** Why a rule string was refused, and what to write instead. */
export interface OriginRuleProblem {
  readonly problem: string;
  readonly fix: string;
}

const SUBDOMAIN_PREFIX = '*.';

/** Parses an origin rule string (`https://app.example.com`, `https://*.example.com`, `http://localhost:*`, `null`). */
export function parseOriginRuleString(rule: string): OriginRuleString | OriginRuleProblem {
  if (rule === 'null') return { kind: 'null' };
  // Already written as browsers send it: the common case, one regex.
  if (parseSerializedOrigin(rule) !== undefined) return { kind: 'exact', origin: rule };
  const schemeEnd = rule.indexOf('://');
  if (schemeEnd <= 0) {
    return { problem: `"${rule}" has no scheme`, fix: `write the full origin, e.g. "https://${rule.replace(/^\/+/, '')}"` };
  }
  const scheme = rule.slice(0, schemeEnd).toLowerCase();
  let rest = rule.slice(schemeEnd + 3);
  const pathStart = rest.search(/[/?#]/);
  if (pathStart !== -1) {
    const bare = `${scheme}://${rest.slice(0, pathStart)}`;
    const what = rest.slice(pathStart) === '/' ? 'a trailing slash' : 'a path';
    return { problem: `"${rule}" has ${what}; an Origin header never has one`, fix: `write "${bare}"` };
  }
  if (rest.includes('@')) {
    return { problem: `"${rule}" has userinfo`, fix: `write "${scheme}://${rest.slice(rest.lastIndexOf('@') + 1)}"` };
  }
  if (rest.endsWith(PORT_WILDCARD)) return parseLoopbackPortRule(rule, scheme, rest.slice(0, -PORT_WILDCARD.length).toLowerCase());
  const isPattern = rest.startsWith(SUBDOMAIN_PREFIX);
  if (isPattern) rest = rest.slice(SUBDOMAIN_PREFIX.length);
  if (rest.includes('*')) {
    return {
      problem: `"${rule}" has a wildcard that is not a leading subdomain label`,
      fix: `use a subdomain pattern such as "${scheme}://*.example.com", or a list of exact origins`,
    };
  }
  const parsed = parseSerializedOrigin(`${scheme}://${rest.toLowerCase()}`);
  if (parsed === undefined) {
    return {
      problem: `"${rule}" is not a serialized origin (scheme://host[:port], no default port)`,
      fix: describeOriginFix(scheme, rest),
    };
  }
  const normalized = `${parsed.scheme}://${parsed.host}${parsed.port ? `:${parsed.port}` : ''}`;
  if (!isPattern) return { kind: 'exact', origin: normalized };
  // A pattern on an IP address ("https://*.0.0.1") would match hosts that are not subdomains.
  if (parsed.host.startsWith('[') || /\.\d+$/.test(parsed.host)) {
    return { problem: `"${rule}" is a pattern on an IP address, which has no subdomains`, fix: 'list the exact origins instead' };
  }
  if (!parsed.host.includes('.')) {
    return {
      problem: `"${rule}" would match every subdomain of a top-level domain`,
      fix: 'name a registrable domain, e.g. "https://*.example.com"',
    };
  }
  return {
    kind: 'subdomains',
    scheme: parsed.scheme,
    domain: parsed.host,
    port: parsed.port,
    text: `${parsed.scheme}://*.${normalized.slice(parsed.scheme.length + 3)}`,
  };
}

function describeOriginFix(scheme: string, rest: string): string {
  const host = rest.replace(/:\d+$/, '');
  if (/^[a-z0-9_.-]+$/i.test(host) && !isDnsSized(host)) {
    return 'no browser sends such a host: a DNS label has at most 63 bytes and a host name at most 253';
  }
  const port = /:(\d+)$/.exec(rest)?.[1];
  if (port !== undefined && DEFAULT_PORTS[scheme] === port) {
    return `leave out the default port: "${scheme}://${rest.slice(0, -port.length - 1)}"`;
  }
  return 'write it as the browser sends it: lower-case scheme and host, an optional non-default port, nothing else';
}

/** Tells whether a parsed request origin is a subdomain (at any depth, never the apex) of a pattern. */
export function isSubdomainOf(origin: ParsedOrigin, pattern: Extract<OriginRuleString, { kind: 'subdomains' }>): boolean {
  const { host } = origin;
  const { domain } = pattern;
  return (
    origin.scheme === pattern.scheme &&
    origin.port === pattern.port &&
    host.length > domain.length + 1 &&
    host.endsWith(domain) &&
    host.charCodeAt(host.length - domain.length - 1) === 46 /* '.' */
  );
}
