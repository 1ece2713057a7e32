import { pathToRegexp } from 'path-to-regexp';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsConfigurationProblem } from '../policy/cors-configuration.error.js';
import { CorsPolicyShape, checkShape } from '../policy/cors-options.schema.js';
import { describeNonOptions, notAPolicyProblem } from '../policy/options-kind.js';
import type { CorsPolicyArgument } from '../policy/cors-policy-options.interface.js';
import { compilePolicy, type CompileReport, type DynamicCheckFactory } from '../policy/policy-compiler.js';
import { mergePolicy, type DeclaredPolicy, type MergedPolicy, type PolicyLevel } from '../policy/policy-merge.js';

/** One `paths` pattern of the module options, with its compiled policy. */
export interface PathPolicyEntry {
  /** Declaration order: when several patterns match a path, the first declared applies. */
  readonly order: number;
  /** The pattern as written, e.g. `/docs/{*rest}`. */
  readonly pattern: string;
  /** The pattern compiled as Express matches routes: case-insensitive, one trailing slash ignored. */
  readonly regexp: RegExp;
  readonly policy: CompiledPolicy;
}

/** Where a path policy is declared, as error messages, logs and the policy map name it. */
export function pathPolicyLabel(pattern: string): string {
  return `CorsModule.forRoot paths['${pattern}']`;
}

/**
 * Validates and compiles the `paths` option. Each pattern is a level of its own above the module
 * defaults, merged as a controller's `@CorsPolicy` is (it has no handler below it).
 */
export function compilePathPolicies(
  paths: unknown,
  defaults: MergedPolicy,
  named: ReadonlyMap<string, DeclaredPolicy>,
  toDynamicCheck: DynamicCheckFactory,
  report: CompileReport,
): PathPolicyEntry[] {
  return declarePathPolicies(paths, report.errors).map(({ pattern, regexp, level }, order) => {
    const merged = mergePolicy(defaults, named, [level], report.errors);
    return { order, pattern, regexp, policy: compilePolicy(merged, level.declaredAt, toDynamicCheck, report) };
  });
}

/** A `paths` entry read and checked, ready to merge: its level, and its pattern compiled. */
export interface DeclaredPathPolicy {
  readonly pattern: string;
  readonly regexp: RegExp;
  readonly level: PolicyLevel;
}

/**
 * Reads the `paths` option: checks each pattern (path-to-regexp v8 syntax, as Nest 12 routes)
 * and the shape of each policy, reporting every problem under `paths['<pattern>']`.
 * Patterns that fail are left out; the problems stop the app anyway.
 */
export function declarePathPolicies(paths: unknown, problems: CorsConfigurationProblem[]): DeclaredPathPolicy[] {
  if (paths === undefined) return [];
  const notARecord = describeNonOptions(paths);
  if (notARecord !== undefined) {
    problems.push({
      option: 'paths',
      declaredAt: 'CorsModule.forRoot',
      problem: `must be an object from path patterns to policies, got ${notARecord}`,
      fix: "write paths: { '/graphql': 'partners', '/docs/{*rest}': { origin: '*' }, '/internal/{*rest}': false }",
    });
    return [];
  }
  const declared: DeclaredPathPolicy[] = [];
  for (const [pattern, argument] of Object.entries(paths as Record<string, unknown>)) {
    const declaredAt = pathPolicyLabel(pattern);
    const regexp = compilePattern(pattern, problems);
    const checked = checkArgument(argument, declaredAt, problems);
    if (regexp !== undefined && checked)
      declared.push({ pattern, regexp, level: { argument: argument as CorsPolicyArgument, declaredAt } });
  }
  return declared;
}

function compilePattern(pattern: string, problems: CorsConfigurationProblem[]): RegExp | undefined {
  const problem = (text: string, fix: string) =>
    problems.push({ option: `paths['${pattern}']`, declaredAt: 'CorsModule.forRoot', problem: text, fix });
  if (!pattern.startsWith('/')) {
    problem('a path pattern must start with "/"', `write '/${pattern}'`);
    return undefined;
  }
  try {
    return pathToRegexp(pattern, { end: true, trailing: true, sensitive: false }).regexp;
  } catch (error) {
    // path-to-regexp throws a PathError that says where the syntax breaks.
    problem(
      `is not a valid route pattern (${error instanceof Error ? error.message : String(error)})`,
      "use Nest's route syntax (path-to-regexp v8): '/graphql', '/files/:name', '/docs/{*rest}'",
    );
    return undefined;
  }
}

function checkArgument(argument: unknown, declaredAt: string, problems: CorsConfigurationProblem[]): boolean {
  if (argument === false || typeof argument === 'string') return true;
  const kind = describeNonOptions(argument);
  if (kind !== undefined) {
    problems.push(notAPolicyProblem('paths', declaredAt, kind, "{ origin: ... }, 'name' or false"));
    return false;
  }
  problems.push(...checkShape(CorsPolicyShape, argument as object, declaredAt));
  return true;
}
