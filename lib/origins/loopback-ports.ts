/**
 * Loopback port rules (`'http://localhost:*'`): the exact scheme and loopback host, any
 * explicit port 1-65535 or none. Other loopback addresses (`127.0.0.2`) and other hosts are
 * never covered: a port wildcard on a public host would trust every service that host runs.
 */

/** The hosts a port wildcard may name, as browsers serialize them. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** The schemes a port wildcard may name: pages are served over these. */
const LOOPBACK_SCHEMES: readonly string[] = ['http', 'https'];

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** The written form of a port wildcard. */
export const PORT_WILDCARD = ':*';

/** A loopback port rule, normalised at startup: `key` is `scheme://host`, as browsers send it. */
export interface LoopbackPortRule {
  readonly kind: 'loopbackPorts';
  readonly key: string;
  readonly text: string;
}

/** Parses `scheme` and `host` (lower case, port wildcard removed) into a rule, or says why not. */
export function parseLoopbackPortRule(rule: string, scheme: string, host: string): LoopbackPortRule | { problem: string; fix: string } {
  if (!LOOPBACK_HOSTS.includes(host)) {
    return {
      problem: `"${rule}" has a port wildcard on "${host}", which is not localhost, 127.0.0.1 or [::1]; on any other host, any port means any service on it`,
      fix: `list the exact origins with their ports, e.g. "${scheme}://${host.replace(/^\*\./, 'app.')}:8443"; a port wildcard is only for ${LOOPBACK_HOSTS.map((name) => `${scheme}://${name}:*`).join(', ')}`,
    };
  }
  if (!LOOPBACK_SCHEMES.includes(scheme)) {
    return { problem: `"${rule}" has a port wildcard on the scheme ${scheme}:`, fix: `write "http://${host}:*" or "https://${host}:*"` };
  }
  const key = `${scheme}://${host}`;
  return { kind: 'loopbackPorts', key, text: `${key}${PORT_WILDCARD}` };
}

/**
 * Whether `origin` (the exact bytes of the header) is `scheme://host` of a rule, alone or
 * followed by a port 1-65535 written as browsers write it (no leading zero, not the default
 * port). Constant time: one `lastIndexOf`, one `Set` lookup, at most five digits.
 */
export function matchesLoopbackPort(keys: ReadonlySet<string>, origin: string): boolean {
  if (keys.has(origin)) return true;
  const colon = origin.lastIndexOf(':');
  const portLength = origin.length - colon - 1;
  if (portLength < 1 || portLength > 5 || !keys.has(origin.slice(0, colon))) return false;
  const first = origin.charCodeAt(colon + 1);
  if (first < 49 /* '1' */ || first > 57) return false;
  for (let index = colon + 2; index < origin.length; index++) {
    const char = origin.charCodeAt(index);
    if (char < 48 || char > 57) return false;
  }
  const port = origin.slice(colon + 1);
  return Number(port) <= 65_535 && DEFAULT_PORTS[origin.slice(0, origin.indexOf(':') + 1)] !== port;
}
