import { CorsConfigurationError, type CorsConfigurationProblem } from './cors-configuration.error.js';
import type { CorsPolicyArgument, CorsPolicyOptions } from './cors-policy-options.interface.js';

/** The fields of a policy, in the order they are documented. */
export const POLICY_FIELDS = [
  'origin',
  'methods',
  'allowedHeaders',
  'exposedHeaders',
  'credentials',
  'maxAge',
  'preflightContinue',
  'optionsSuccessStatus',
  'dangerouslyAllowPublicSuffixSubdomains',
] as const satisfies readonly (keyof CorsPolicyOptions)[];

export type PolicyField = (typeof POLICY_FIELDS)[number];

/** A policy with, for each field it sets, where that field was declared. */
export interface DeclaredPolicy {
  readonly options: CorsPolicyOptions;
  readonly sources: Readonly<Partial<Record<PolicyField, string>>>;
}

/** The merge of every level that applies to a route: a policy, or CORS switched off by `offAt`. */
export type MergedPolicy = (DeclaredPolicy & { readonly off?: undefined }) | { readonly off: string };

/** Takes the policy fields of an options object, recording where each was declared. */
export function declarePolicy(options: CorsPolicyOptions, declaredAt: string): DeclaredPolicy {
  const picked: Record<string, unknown> = {};
  const sources: Partial<Record<PolicyField, string>> = {};
  for (const field of POLICY_FIELDS) {
    if (options[field] !== undefined) {
      picked[field] = options[field];
      sources[field] = declaredAt;
    }
  }
  return { options: picked, sources };
}

function overlay(base: DeclaredPolicy, top: DeclaredPolicy): DeclaredPolicy {
  return { options: { ...base.options, ...top.options }, sources: { ...base.sources, ...top.sources } };
}

/** One `@CorsPolicy()` level (controller, then handler) with where it was declared. */
export interface PolicyLevel {
  readonly argument: CorsPolicyArgument | undefined;
  readonly declaredAt: string;
}

/**
 * Merges module defaults, then the controller's `@CorsPolicy`, then the handler's (BRIEF §2):
 * field by field, the most specific wins; a name replaces everything above it; `false`
 * switches CORS off until a more specific level sets a policy again (on top of the defaults).
 */
export function mergePolicy(
  defaults: MergedPolicy,
  named: ReadonlyMap<string, DeclaredPolicy>,
  levels: readonly PolicyLevel[],
  problems?: CorsConfigurationProblem[],
): MergedPolicy {
  let current = defaults;
  for (const { argument, declaredAt } of levels) {
    if (argument === undefined) continue;
    if (argument === false) {
      current = { off: declaredAt };
    } else if (typeof argument === 'string') {
      const policy = named.get(argument);
      if (policy !== undefined) current = policy;
      else {
        // Collected with the other problems when a list is given, so that one start shows them all.
        const problem = unknownPolicyName(named, argument, declaredAt);
        if (problems === undefined) throw new CorsConfigurationError([problem]);
        problems.push(problem);
        current = { off: declaredAt };
      }
    } else {
      const below = current.off === undefined ? current : defaults.off === undefined ? defaults : undefined;
      const top = declarePolicy(argument, declaredAt);
      current = below === undefined ? top : overlay(below, top);
    }
  }
  return current;
}

function unknownPolicyName(named: ReadonlyMap<string, DeclaredPolicy>, name: string, declaredAt: string): CorsConfigurationProblem {
  const known = [...named.keys()].map((key) => `'${key}'`).join(', ');
  return {
    option: 'policy name',
    declaredAt,
    problem: `there is no policy named '${name}'`,
    fix: known
      ? `use one of ${known}, or add '${name}' to CorsModule.forRoot({ policies })`
      : `declare it in CorsModule.forRoot({ policies: { ${name}: { ... } } })`,
  };
}
