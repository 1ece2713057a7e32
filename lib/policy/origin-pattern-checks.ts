import type { CorsConfigurationProblem } from './cors-configuration.error.js';
import type { PolicyField } from './policy-merge.js';
import type { LoopbackPortRule } from '../origins/loopback-ports.js';
import { describePublicSuffixPattern, publicSuffixOf, regExpTailDomain, type PublicSuffix } from '../origins/public-suffix.js';

/** Builds a problem for a field of the policy being compiled, with where that field was declared. */
export type ProblemMaker = (field: PolicyField, text: string, fix: string) => CorsConfigurationProblem;

/** Where the startup checks of origin patterns report. */
export interface PatternCheckContext {
  readonly errors: CorsConfigurationProblem[];
  readonly warnings: CorsConfigurationProblem[];
  readonly problem: ProblemMaker;
  /** The policy's `dangerouslyAllowPublicSuffixSubdomains`. */
  readonly allowPublicSuffixes: boolean;
}

const OPT_OUT = 'dangerouslyAllowPublicSuffixSubdomains';

function ownDomainFix(scheme: string, suffix: string): string {
  return (
    `list your own subdomains (e.g. "${scheme}://myapp.${suffix}"), or use a pattern under a domain you own ` +
    `(e.g. "${scheme}://*.myapp.${suffix}" when myapp.${suffix} is yours)`
  );
}

/** A subdomain pattern directly under a public suffix: refused, or warned when the policy opts out. */
export function checkPublicSuffixPattern(pattern: { scheme: string; domain: string; text: string }, context: PatternCheckContext): void {
  const suffix = publicSuffixOf(pattern.domain);
  if (suffix === undefined) return;
  if (context.allowPublicSuffixes) {
    context.warnings.push(keptUnderSuffix(pattern.text, pattern.scheme, suffix, context.problem));
    return;
  }
  context.errors.push(
    context.problem(
      'origin',
      describePublicSuffixPattern(pattern.text, suffix),
      `${ownDomainFix(pattern.scheme, suffix.suffix)}; only if you really mean every page there, set ${OPT_OUT}: true on this policy`,
    ),
  );
}

/** A `RegExp` whose literal end is a public suffix after a wildcard part: warned (a regex is not parsed into a host). */
export function checkPublicSuffixRegExp(rule: RegExp, context: PatternCheckContext): void {
  const domain = regExpTailDomain(rule.source);
  const suffix = domain === undefined ? undefined : publicSuffixOf(domain);
  if (suffix === undefined) return;
  const scheme = /^\^?(https?):/.exec(rule.source)?.[1] ?? 'https';
  if (context.allowPublicSuffixes) {
    context.warnings.push(keptUnderSuffix(String(rule), scheme, suffix, context.problem));
    return;
  }
  context.warnings.push(
    context.problem(
      'origin',
      `${String(rule)} ends with the public suffix ${suffix.suffix} (${suffix.section} section of the Public Suffix List) after a wildcard part: anyone can get a subdomain there, so it may trust every stranger's page`,
      ownDomainFix(scheme, suffix.suffix),
    ),
  );
}

function keptUnderSuffix(rule: string, scheme: string, suffix: PublicSuffix, problem: ProblemMaker): CorsConfigurationProblem {
  return problem(
    OPT_OUT,
    `"${rule}" is kept under the public suffix ${suffix.suffix} (${suffix.section} section of the Public Suffix List) because ${OPT_OUT} is true: every page there, anyone's, is trusted`,
    `${ownDomainFix(scheme, suffix.suffix)}, and remove ${OPT_OUT}`,
  );
}

/** Loopback port rules in production: allowed, but a production API rarely means to trust a developer's machine. */
export function checkLoopbackInProduction(rules: readonly LoopbackPortRule[], context: PatternCheckContext): void {
  if (rules.length === 0 || process.env.NODE_ENV !== 'production') return;
  const listed = rules.map((rule) => `"${rule.text}"`).join(', ');
  context.warnings.push(
    context.problem(
      'origin',
      `${listed} ${rules.length === 1 ? 'trusts' : 'trust'} any port on the developer's machine while NODE_ENV is production`,
      "declare loopback rules only in development, e.g. origin: [...(process.env.NODE_ENV === 'production' ? [] : ['http://localhost:*'])]",
    ),
  );
}
