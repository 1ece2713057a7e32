import { LOOPBACK_HOSTS, matchesLoopbackPort, PORT_WILDCARD } from './loopback-ports.js';
import type { OriginRuleSet } from './origin-matcher.js';
import { isSubdomainOf, parseSerializedOrigin, type ParsedOrigin } from './serialized-origin.js';

/**
 * Explanations of the origin check for `debug` and `onDecision`, computed only when one of them
 * is on, never on the request path otherwise. They name the pattern rules (loopback ports,
 * subdomain patterns, RegExps); an exact origin explains itself.
 */

/** The pattern rule that allows `origin` (`'http://localhost:*'`, `'https://*.example.com'`, a RegExp), if one does. */
export function matchedPatternRule(rules: OriginRuleSet, origin: string): string | undefined {
  const loopbackPorts = rules.loopbackPorts;
  // Most policies have no pattern rule: then nothing is parsed or tested again per decision.
  if (rules.exact.has(origin) || (loopbackPorts === undefined && rules.subdomains.length === 0 && rules.regexps.length === 0)) {
    return undefined;
  }
  if (loopbackPorts !== undefined && matchesLoopbackPort(loopbackPorts, origin)) {
    const colon = origin.lastIndexOf(':');
    const key = loopbackPorts.has(origin) ? origin : origin.slice(0, colon);
    return `${key}${PORT_WILDCARD}`;
  }
  const parsed = parseSerializedOrigin(origin);
  if (parsed === undefined) return undefined;
  const pattern = rules.subdomains.find((candidate) => isSubdomainOf(parsed, candidate));
  if (pattern !== undefined) return pattern.text;
  const regexp = rules.regexps.find((candidate) => {
    candidate.lastIndex = 0;
    return candidate.test(origin);
  });
  return regexp === undefined ? undefined : String(regexp);
}

/** Why no pattern rule allowed a serialized `origin` that one of them nearly covers, if one does. */
export function explainPatternMiss(rules: OriginRuleSet, origin: string): string | undefined {
  const parsed = parseSerializedOrigin(origin);
  if (parsed === undefined) return undefined;
  return loopbackMiss(rules, parsed) ?? subdomainMiss(rules, parsed);
}

function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function loopbackMiss(rules: OriginRuleSet, origin: ParsedOrigin): string | undefined {
  if (!isLoopbackHost(origin.host)) return undefined;
  const keys = [...(rules.loopbackPorts ?? [])];
  if (keys.length === 0) {
    const sameHost = exactOriginsByHost(rules).get(origin.host);
    return sameHost === undefined
      ? undefined
      : `the policy names ${sameHost} only; "${origin.scheme}://${origin.host}${PORT_WILDCARD}" would allow any port`;
  }
  const named = keys.map((key) => `${key}${PORT_WILDCARD}`).join(', ');
  const hostNamed = keys.some((key) => key.endsWith(`://${origin.host}`));
  return hostNamed
    ? `the loopback port rules (${named}) name another scheme than ${origin.scheme}:`
    : `${origin.host} is not a loopback host the loopback port rules name (${named}); each rule names one host exactly`;
}

/** An exact origin of each host the policy names, indexed once per rule set: a refusal never scans the list. */
const exactByHost = new WeakMap<OriginRuleSet, ReadonlyMap<string, string>>();

function exactOriginsByHost(rules: OriginRuleSet): ReadonlyMap<string, string> {
  let byHost = exactByHost.get(rules);
  if (byHost === undefined) {
    const index = new Map<string, string>();
    for (const exact of rules.exact) {
      const host = parseSerializedOrigin(exact)?.host;
      if (host !== undefined && !index.has(host)) index.set(host, exact);
    }
    exactByHost.set(rules, (byHost = index));
  }
  return byHost;
}

function subdomainMiss(rules: OriginRuleSet, origin: ParsedOrigin): string | undefined {
  for (const pattern of rules.subdomains) {
    if (origin.host === pattern.domain) return `${origin.host} is the apex of ${pattern.text}, which covers subdomains only`;
    const under = origin.host.endsWith(`.${pattern.domain}`);
    if (under && origin.scheme !== pattern.scheme) return `${pattern.text} covers ${pattern.scheme}: only`;
    if (under && origin.port !== pattern.port) {
      return `${pattern.text} covers ${pattern.port === '' ? 'the default port' : `port ${pattern.port}`} only`;
    }
  }
  return undefined;
}
