import type { CorsConfigurationProblem } from './cors-configuration.error.js';
import type { CorsOriginRule } from './cors-policy-options.interface.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { CORS_PACKAGE_DEFAULTS } from '../cors.constants.js';
import { isToken, splitList } from '../headers/header-tokens.js';
import type { DynamicOriginCheck, LoadedOrigins, OriginRuleSet } from '../origins/origin-matcher.js';
import { isSubdomainOf, parseOriginRuleString, parseSerializedOrigin, type OriginRuleString } from '../origins/serialized-origin.js';
import type { LoopbackPortRule } from '../origins/loopback-ports.js';
import {
  checkLoopbackInProduction,
  checkPublicSuffixPattern,
  checkPublicSuffixRegExp,
  type PatternCheckContext,
  type ProblemMaker,
} from './origin-pattern-checks.js';

type SubdomainPattern = Extract<OriginRuleString, { kind: 'subdomains' }>;
import type { MergedPolicy, PolicyField } from './policy-merge.js';
import { scopeInfoOf, type ScopedCheckInfo } from '../origins/origin-scope.js';

/**
 * Turns a function or resolver rule into a check with its timeout, cache and logging, and a
 * `CorsOriginSource` rule into its loaded set.
 */
export type DynamicCheckFactory = (rule: Function, declaredAt: string, report: CompileReport) => DynamicOriginCheck | LoadedOrigins;

/** The problems found while compiling: errors stop the app, warnings are logged. */
export interface CompileReport {
  readonly errors: CorsConfigurationProblem[];
  readonly warnings: CorsConfigurationProblem[];
}

const NO_ORIGINS: OriginRuleSet = {
  reflectAny: false,
  exact: new Set<string>(),
  subdomains: [],
  regexps: [],
  dynamic: [],
  sources: [],
  exactOnly: true,
  loopbackPorts: undefined,
};

/** A policy that sends nothing: CORS off. */
export function disabledPolicy(describedAs: string): CompiledPolicy {
  return {
    enabled: false,
    wildcard: false,
    origins: NO_ORIGINS,
    credentials: false,
    exposeHeaders: undefined,
    allowMethods: '',
    allowedMethods: new Set(),
    allowHeaders: undefined,
    actualVary: 'Origin',
    preflightVary: '',
    preflightVaryByMethod: '',
    scope: undefined,
    allowedHeaderNames: undefined,
    maxAge: undefined,
    preflightContinue: false,
    optionsSuccessStatus: 204,
    describedAs,
    options: {},
    sources: {},
  };
}

/** Compiles a merged policy, reporting every error and warning with the option and where it was declared. */
export function compilePolicy(
  merged: MergedPolicy,
  describedAs: string,
  toDynamicCheck: DynamicCheckFactory,
  report: CompileReport,
): CompiledPolicy {
  if (merged.off !== undefined) return disabledPolicy(merged.off);
  const { options, sources } = merged;
  const where = (field: PolicyField): string => sources[field] ?? `${describedAs} (the \`cors\` package default)`;
  const problem = (field: PolicyField, text: string, fix: string): CorsConfigurationProblem => ({
    option: field,
    declaredAt: where(field),
    problem: text,
    fix,
  });
  const origin = options.origin ?? CORS_PACKAGE_DEFAULTS.origin;
  if (origin === false) return disabledPolicy(where('origin'));
  const credentials = options.credentials === true;
  const rules = Array.isArray(origin) ? origin : [origin];
  const wildcard = rules.length === 1 && rules[0] === '*';
  const scoped: ScopedCheckInfo[] = [];
  const origins = compileOriginRules(rules, {
    where: where('origin'),
    toDynamicCheck,
    report,
    problem,
    patterns: { ...report, problem, allowPublicSuffixes: options.dangerouslyAllowPublicSuffixSubdomains === true },
    scoped,
  });

  // The line starts with where `origin` was declared: name where `credentials` was only when that differs.
  const credentialsAt = where('origin').startsWith(where('credentials')) ? '' : ` (credentials declared at ${where('credentials')})`;
  if (wildcard && credentials) {
    report.errors.push(
      problem(
        'origin',
        `origin '*' cannot be used with credentials: true${credentialsAt}; browsers refuse that answer`,
        `list the trusted origins instead of '*', or set credentials: false in ${where('credentials')}`,
      ),
    );
  }
  if (credentials && rules.includes(true)) {
    report.warnings.push(
      problem(
        'origin',
        `origin: true with credentials: true${credentialsAt} reflects every origin with cookies`,
        'list the trusted origins, or use a resolver',
      ),
    );
  }
  const methods = checkTokens('methods', options.methods ?? CORS_PACKAGE_DEFAULTS.methods, report, problem);
  for (const method of methods) {
    if (method !== method.toUpperCase()) {
      report.warnings.push(
        problem(
          'methods',
          `method "${method}" is not upper case; browsers send it as the page typed it and methods compare case-sensitively`,
          `write "${method.toUpperCase()}"`,
        ),
      );
    }
  }
  const allowedHeaders = options.allowedHeaders;
  const reflectHeaders = allowedHeaders === undefined || allowedHeaders === '';
  const headerNames = reflectHeaders ? [] : checkTokens('allowedHeaders', allowedHeaders, report, problem);
  if (headerNames.includes('*')) {
    report.warnings.push(
      problem(
        'allowedHeaders',
        "'*' never covers Authorization" + (credentials ? ', and with credentials it is the literal header name "*"' : ''),
        "list the headers by name, e.g. ['Content-Type', 'Authorization']",
      ),
    );
  }
  const exposed = options.exposedHeaders === undefined ? [] : checkTokens('exposedHeaders', options.exposedHeaders, report, problem);
  if (credentials && exposed.includes('*')) {
    report.warnings.push(
      problem(
        'exposedHeaders',
        'with credentials, \'*\' is the literal header name "*" and exposes nothing',
        'list the response headers the page must read',
      ),
    );
  }
  return {
    enabled: true,
    wildcard,
    origins,
    credentials,
    exposeHeaders: joinHeaderValue(options.exposedHeaders),
    allowMethods: joinHeaderValue(options.methods ?? CORS_PACKAGE_DEFAULTS.methods) ?? '',
    allowedMethods: new Set(methods),
    allowHeaders: reflectHeaders ? undefined : (joinHeaderValue(allowedHeaders) ?? ''),
    ...varyFields(wildcard, reflectHeaders, scoped),
    scope: policyScope(scoped),
    allowedHeaderNames: reflectHeaders ? undefined : new Set(headerNames.map((name) => name.toLowerCase())),
    maxAge: options.maxAge === undefined ? undefined : String(options.maxAge),
    preflightContinue: options.preflightContinue === true,
    optionsSuccessStatus: options.optionsSuccessStatus ?? CORS_PACKAGE_DEFAULTS.optionsSuccessStatus,
    describedAs,
    options,
    sources,
  };
}

/** The `Vary` fields of actual and preflight answers, computed once; a scoped class's `varyOn` headers come after `Origin`. */
function varyFields(wildcard: boolean, reflectHeaders: boolean, scoped: readonly ScopedCheckInfo[]) {
  const varyOn = [...new Set(scoped.flatMap((info) => info.varyOn))];
  const fields = [...(reflectHeaders ? ['Access-Control-Request-Headers'] : []), ...(wildcard ? [] : ['Origin', ...varyOn])];
  return {
    actualVary: ['Origin', ...varyOn].join(', '),
    preflightVary: fields.join(', '),
    preflightVaryByMethod: ['Access-Control-Request-Method', ...fields].join(', '),
  };
}

/** The scope of a policy's first scoped class, for decisions and the policy map (`undefined`: unscoped). */
function policyScope(scoped: readonly ScopedCheckInfo[]): CompiledPolicy['scope'] {
  if (scoped.length === 0) return undefined;
  return { scopedBy: scoped.map((info) => info.scopedBy), read: scoped[0].readScope };
}

/** The header value the `cors` package would send: arrays joined with ',', strings as written. */
function joinHeaderValue(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const joined = typeof value === 'string' ? value : value.join(',');
  return joined === '' ? undefined : joined;
}

function checkTokens(field: PolicyField, value: string | readonly string[], report: CompileReport, problem: ProblemMaker): string[] {
  const items = splitList(value);
  for (const item of items) {
    if (!isToken(item)) {
      const kind = field === 'methods' ? 'method' : 'header name';
      report.errors.push(
        problem(
          field,
          `"${item}" is not a valid ${kind} (RFC 9110 token)`,
          `remove it or write a ${kind} such as "${field === 'methods' ? 'PATCH' : 'X-Request-Id'}"`,
        ),
      );
    }
  }
  return items;
}

interface OriginContext {
  readonly where: string;
  readonly toDynamicCheck: DynamicCheckFactory;
  readonly report: CompileReport;
  readonly problem: ProblemMaker;
  readonly patterns: PatternCheckContext;
  /** Filled with the scoped classes met. */
  readonly scoped: ScopedCheckInfo[];
}

function compileOriginRules(rules: readonly CorsOriginRule[], context: OriginContext): OriginRuleSet {
  const { report, problem } = context;
  const exact = new Set<string>();
  const subdomains: SubdomainPattern[] = [];
  const regexps: RegExp[] = [];
  const dynamic: DynamicOriginCheck[] = [];
  const sources: LoadedOrigins[] = [];
  const loopback: LoopbackPortRule[] = [];
  let onlySourcesAreDynamic = true;
  let reflectAny = false;
  for (const rule of rules) {
    if (rule === true) reflectAny = true;
    else if (rule === false) continue;
    else if (rule instanceof RegExp) {
      regexps.push(rule);
      warnAboutRegExp(rule, report, problem);
      checkPublicSuffixRegExp(rule, context.patterns);
    } else if (typeof rule === 'function') {
      const check = context.toDynamicCheck(rule, context.where, report);
      const scope = scopeInfoOf(check);
      if (scope !== undefined) context.scoped.push(scope);
      if (typeof check === 'function') {
        dynamic.push(check);
        onlySourcesAreDynamic = false;
      } else {
        sources.push(check);
        dynamic.push(check.missed);
      }
    } else if (rule === '*') {
      if (rules.length > 1)
        report.errors.push(
          problem(
            'origin',
            "'*' inside a list allows every origin and makes the rest of the list meaningless",
            "use '*' alone, or list only the trusted origins",
          ),
        );
    } else {
      const parsed = parseOriginRuleString(rule);
      if ('problem' in parsed) report.errors.push(problem('origin', parsed.problem, parsed.fix));
      else if (parsed.kind === 'null') {
        exact.add('null');
        report.warnings.push(
          problem(
            'origin',
            "trusting the 'null' origin trusts sandboxed iframes, data: URLs and local files of any site",
            "remove 'null', unless you really serve such pages",
          ),
        );
      } else if (parsed.kind === 'exact') {
        if (parsed.origin !== rule)
          report.warnings.push(
            problem('origin', `"${rule}" is compared as "${parsed.origin}", as browsers send it`, `write "${parsed.origin}"`),
          );
        exact.add(parsed.origin);
      } else if (parsed.kind === 'loopbackPorts') {
        if (parsed.text !== rule)
          report.warnings.push(
            problem('origin', `"${rule}" is compared as "${parsed.text}", as browsers send it`, `write "${parsed.text}"`),
          );
        loopback.push(parsed);
      } else {
        checkPublicSuffixPattern(parsed, context.patterns);
        subdomains.push(parsed);
      }
    }
  }
  warnAboutSchemeDowngrade(exact, subdomains, problem, report);
  checkLoopbackInProduction(loopback, context.patterns);
  const exactOnly = !reflectAny && subdomains.length === 0 && regexps.length === 0 && onlySourcesAreDynamic;
  const loopbackPorts = loopback.length === 0 ? undefined : new Set(loopback.map((rule) => rule.key));
  return { reflectAny, exact, subdomains, regexps, dynamic, sources, exactOnly, loopbackPorts };
}

function warnAboutRegExp(rule: RegExp, report: CompileReport, problem: ProblemMaker): void {
  // `^a|b$` anchors only one end of each branch: every top-level branch must be anchored.
  const branches = topLevelBranches(rule.source);
  if (!branches.every((branch) => branch.startsWith('^') && branch.endsWith('$') && !branch.endsWith('\\$'))) {
    report.warnings.push(
      problem(
        'origin',
        `${String(rule)} is not anchored at both ends, so "https://trusted.example.com.evil.net" or "https://eviltrusted.example.com" may match`,
        'write it as /^https:\\/\\/app\\.example\\.com$/ (alternatives inside a group: /^(?:a|b)$/), or use an exact origin or a subdomain pattern',
      ),
    );
  }
  if (hasUnescapedDot(rule.source)) {
    report.warnings.push(
      problem('origin', `${String(rule)} has an unescaped '.', which matches any character ("appXexample.com")`, "escape it: '\\.'"),
    );
  }
}

/** Splits a RegExp source at the `|` that are outside groups and character classes. */
function topLevelBranches(source: string): string[] {
  const branches: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') index++;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === '|' && depth === 0) {
      branches.push(source.slice(start, index));
      start = index + 1;
    }
  }
  branches.push(source.slice(start));
  return branches;
}

/** An unescaped `.` outside a character class. */
function hasUnescapedDot(source: string): boolean {
  let inClass = false;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') index++;
    else if (char === '[') inClass = true;
    else if (char === ']') inClass = false;
    else if (char === '.' && !inClass) return true;
  }
  return false;
}

/** Warns about `http:` origins trusted next to `https:` ones of the same host (any port), patterns included. */
function warnAboutSchemeDowngrade(
  exact: ReadonlySet<string>,
  subdomains: readonly SubdomainPattern[],
  problem: ProblemMaker,
  report: CompileReport,
): void {
  // Most lists have no http: rule at all: nothing to compare then (10,000 origins stay cheap).
  const hasPlainHttp = subdomains.some((pattern) => pattern.scheme === 'http') || [...exact].some((origin) => origin.startsWith('http://'));
  if (!hasPlainHttp) return;
  const parsed = [...exact].map(parseSerializedOrigin).filter((origin) => origin !== undefined);
  const secureHosts = new Set(parsed.filter((origin) => origin.scheme === 'https').map((origin) => origin.host));
  const securePatterns = subdomains.filter((pattern) => pattern.scheme === 'https');
  const warn = (rule: string) =>
    report.warnings.push(
      problem(
        'origin',
        `"${rule}" is trusted next to the https: origins of the same host, so a network attacker can use the plain-http page`,
        `remove "${rule}"`,
      ),
    );
  for (const origin of parsed) {
    if (origin.scheme !== 'http') continue;
    const coveredByPattern = securePatterns.some((pattern) => isSubdomainOf({ ...origin, scheme: 'https', port: pattern.port }, pattern));
    if (secureHosts.has(origin.host) || coveredByPattern) warn(`http://${origin.host}${origin.port ? `:${origin.port}` : ''}`);
  }
  for (const pattern of subdomains) {
    const secureTwin =
      securePatterns.some((secure) => secure.domain === pattern.domain) ||
      [...secureHosts].some((host) => host.endsWith(`.${pattern.domain}`));
    if (pattern.scheme === 'http' && secureTwin) warn(pattern.text);
  }
}
