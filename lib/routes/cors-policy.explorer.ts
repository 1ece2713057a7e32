import { pathToRegexp } from 'path-to-regexp';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, ModuleRef, Reflector } from '@nestjs/core';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { CorsConfigurationError, formatProblem } from '../policy/cors-configuration.error.js';
import { CORS_LOGGER_CONTEXT, CORS_POLICY_MODULE_OPTIONS, DEFAULT_RESOLVER_TIMEOUT_MS } from '../cors.constants.js';
import { DEFAULT_RESOLVER_MAX_IN_FLIGHT, DEFAULT_RESOLVER_MAX_QUEUED } from '../cors.constants.js';
import { CorsMiddleware, type StrictRuntime } from '../cors.middleware.js';
import { parseOriginRuleString } from '../origins/serialized-origin.js';
import { CorsModuleShape, CorsPolicyShape, checkShape } from '../policy/cors-options.schema.js';
import { CorsOriginCache } from '../origins/cors-origin-cache.js';
import type { CorsModuleOptions, CorsPolicyOptions } from '../policy/cors-policy-options.interface.js';
import { CorsPolicy } from '../cors-policy.decorator.js';
import { CorsPolicyMap } from './cors-policy-map.js';
import { createDecisionReporter, createExplainer } from '../decisions/observability.js';
import { CorsDecisionHub } from '../decisions/cors-decision-hub.js';
import { discoverRoutes, readRoutingConfig, sortBySpecificity } from './nest-routes.js';
import { createDynamicCheckFactory } from '../origins/origin-checks.js';
import { describeNonOptions, moduleOptionsProblem, notAPolicyProblem } from '../policy/options-kind.js';
import { compilePolicy, type CompileReport, type DynamicCheckFactory } from '../policy/policy-compiler.js';
import { declarePolicy, mergePolicy, type DeclaredPolicy, type MergedPolicy, type PolicyLevel } from '../policy/policy-merge.js';
import type { RouteEntry } from './policy-table.js';
import { createRouteTable } from './platform-route-table.js';
import { compilePathPolicies } from './path-policies.js';
import { CorsGatewayGate } from '../websockets/cors-gateway-gate.js';
import { CorsUpgradeGate } from '../upgrades/cors-upgrade-gate.js';
import { compileGateways } from '../websockets/gateway-policies.js';
import { discoverGateways } from '../websockets/nest-gateways.js';
import { uncheckedGatewayWarning } from '../websockets/unchecked-gateway-warning.js';

export const MODULE_DEFAULTS_LABEL = 'CorsModule.forRoot (module defaults)';

/**
 * Builds the policy table once, when the app initialises (the global prefix and versioning
 * are final by then): validates every policy, compiles it, and activates the middleware.
 */
@Injectable()
export class CorsPolicyExplorer implements OnModuleInit {
  private readonly logger = new Logger(CORS_LOGGER_CONTEXT);

  constructor(
    @Inject(CORS_POLICY_MODULE_OPTIONS) private readonly options: CorsModuleOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly cache: CorsOriginCache,
    private readonly middleware: CorsMiddleware,
    private readonly policyMap: CorsPolicyMap,
    private readonly gatewayGate: CorsGatewayGate,
    private readonly decisionHub: CorsDecisionHub,
    private readonly upgradeGate: CorsUpgradeGate,
  ) {}

  onModuleInit(): void {
    const notOptions = moduleOptionsProblem(this.options);
    if (notOptions !== undefined) throw new CorsConfigurationError([notOptions]);
    const report: CompileReport = { errors: [], warnings: [] };
    const routing = readRoutingConfig(this.moduleRef);
    const toDynamicCheck = createDynamicCheckFactory(
      this.moduleRef,
      this.cache,
      this.options.resolverTimeoutMs ?? DEFAULT_RESOLVER_TIMEOUT_MS,
      this.logger,
      {
        maxInFlight: this.options.resolverMaxInFlight ?? DEFAULT_RESOLVER_MAX_IN_FLIGHT,
        maxQueued: this.options.resolverMaxQueued ?? DEFAULT_RESOLVER_MAX_QUEUED,
      },
    );
    report.errors.push(...checkShape(CorsModuleShape, this.options, MODULE_DEFAULTS_LABEL));
    const named = this.declareNamedPolicies(report);
    const defaults: MergedPolicy = declarePolicy(this.options, MODULE_DEFAULTS_LABEL);
    const compile = memoizedCompiler(defaults, named, toDynamicCheck, report);
    const defaultPolicy = compile({ argument: undefined, declaredAt: '' }, { argument: undefined, declaredAt: '' });
    const entries: RouteEntry[] = [];
    for (const route of discoverRoutes(this.discovery.getControllers(), routing, this.scanner)) {
      const label = `${route.controller.name}.${route.handlerName}`;
      const controllerLevel = this.readLevel(route.controller, `@CorsPolicy on ${route.controller.name}`, report);
      const handlerLevel = this.readLevel(route.handler, `@CorsPolicy on ${label}`, report);
      const policy = compile(controllerLevel, handlerLevel);
      const hosts = route.host === undefined ? undefined : compileHosts(route.host);
      for (const path of route.paths) {
        entries.push({ order: entries.length, method: route.method, path, policy, label, hosts, filterVersion: route.filterVersion });
      }
    }
    const paths = compilePathPolicies(this.options.paths, defaults, named, toDynamicCheck, report);
    const discovered = discoverGateways(this.discovery.getProviders());
    const gatewayContext = this.gatewayGate.checkContext(MODULE_DEFAULTS_LABEL);
    const gateways = compileGateways(
      discovered,
      (gateway) => {
        const level = this.readLevel(gateway, `@CorsPolicy on ${gateway.name}`, report);
        return { policy: compile(level, { argument: undefined, declaredAt: '' }), declared: level.argument !== undefined };
      },
      gatewayContext,
      report,
    );
    const unchecked = uncheckedGatewayWarning(discovered, gatewayContext);
    if (unchecked !== undefined) report.warnings.push(unchecked);
    const strict = compileStrict(this.options.strict, report);
    if (report.errors.length > 0) throw new CorsConfigurationError(report.errors);
    for (const warning of new Set(report.warnings.map(formatProblem))) this.logger.warn(warning);
    const ordered = routing.sortsBySpecificity ? sortBySpecificity(entries).map((entry, order) => ({ ...entry, order })) : entries;
    this.policyMap.load(ordered, paths);
    this.policyMap.loadGateways(gateways, this.gatewayGate);
    const appOrigins = declaredAppOrigins(this.options.strict, strict);
    this.gatewayGate.activate(gateways, appOrigins);
    if (this.options.debug) this.logger.log(`CORS policy map:\n${this.policyMap.toTable()}`);
    const httpAdapter = this.moduleRef.get(HttpAdapterHost, { strict: false }).httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    const runtime = {
      table: createRouteTable(httpAdapter, ordered, defaultPolicy, paths),
      versioning: routing.versioning,
      explainer: createExplainer(this.options.debug, this.logger),
      strict,
    };
    // Listeners of the hub (the testing kit's recorder) come and go: the reporter is rebuilt then, never per request.
    const activate = () => {
      const decisions = createDecisionReporter(this.decisionHub.hookFor(this.options.onDecision), this.logger);
      this.middleware.activate({ ...runtime, decisions });
      this.upgradeGate.activate({ ...runtime, decisions, appOrigins });
      this.gatewayGate.reportDecisionsTo(decisions);
    };
    activate();
    this.decisionHub.watch(activate);
    // Typed as always there, but undefined in application contexts (no HTTP server).
    if (httpAdapter !== undefined) this.upgradeGate.install(httpAdapter.getHttpServer(), 0);
    this.policyMap.loadUpgrades(httpAdapter !== undefined);
  }

  private declareNamedPolicies(report: CompileReport): Map<string, DeclaredPolicy> {
    const named = new Map<string, DeclaredPolicy>();
    const policies: unknown = this.options.policies ?? {};
    const notARecord = describeNonOptions(policies);
    if (notARecord !== undefined) {
      report.errors.push({
        option: 'policies',
        declaredAt: MODULE_DEFAULTS_LABEL,
        problem: `must be an object of named policies, got ${notARecord}`,
        fix: "write policies: { partners: { origin: [...], credentials: true } } and use @CorsPolicy('partners')",
      });
      return named;
    }
    for (const [name, policy] of Object.entries(policies as Record<string, unknown>)) {
      const declaredAt = `CorsModule.forRoot policies.${name}`;
      const kind = describeNonOptions(policy);
      if (kind !== undefined) {
        report.errors.push(notAPolicyProblem(`policies.${name}`, declaredAt, kind));
        continue;
      }
      report.errors.push(...checkShape(CorsPolicyShape, policy as object, declaredAt));
      named.set(name, declarePolicy(policy as CorsPolicyOptions, declaredAt));
    }
    return named;
  }

  private readonly checkedDecorators = new WeakSet();

  /** The `@CorsPolicy` of a controller or handler, with where it is declared. */
  private readLevel(target: Function, declaredAt: string, report: CompileReport): PolicyLevel {
    // Typed, but written by users in plain JavaScript too: check what is really there.
    const argument = this.reflector.get(CorsPolicy, target) as unknown;
    if (argument === undefined || argument === false || typeof argument === 'string') return { argument, declaredAt };
    const kind = describeNonOptions(argument);
    if (kind !== undefined) {
      report.errors.push(
        notAPolicyProblem(
          '@CorsPolicy argument',
          declaredAt,
          kind,
          "@CorsPolicy({ origin: ... }), @CorsPolicy('name') or @CorsPolicy(false)",
        ),
      );
      return { argument: undefined, declaredAt };
    }
    const options = argument as CorsPolicyOptions;
    if (!this.checkedDecorators.has(options)) {
      this.checkedDecorators.add(options);
      report.errors.push(...checkShape(CorsPolicyShape, options, declaredAt));
    }
    return { argument: options, declaredAt };
  }
}

function compileStrict(strict: CorsModuleOptions['strict'], report: CompileReport): StrictRuntime | undefined {
  if (strict === undefined || strict === false) return undefined;
  const appOrigins = new Set<string>();
  for (const origin of strict === true ? [] : (strict.appOrigins ?? [])) {
    const parsed = parseOriginRuleString(origin);
    if (!('problem' in parsed) && parsed.kind === 'exact') appOrigins.add(parsed.origin);
    else {
      report.errors.push({
        option: 'strict.appOrigins',
        declaredAt: MODULE_DEFAULTS_LABEL,
        problem: 'problem' in parsed ? parsed.problem : `"${origin}" is not an exact origin`,
        fix: 'problem' in parsed ? parsed.fix : 'list the exact origins the app is served from, e.g. "https://api.example.com"',
      });
    }
  }
  return { appOrigins };
}

/** `strict.appOrigins` when the app declares them (the handshakes' own-origin exemption then uses them); else `undefined`. */
function declaredAppOrigins(option: CorsModuleOptions['strict'], strict: StrictRuntime | undefined): ReadonlySet<string> | undefined {
  return typeof option === 'object' && option.appOrigins !== undefined ? strict?.appOrigins : undefined;
}

/**
 * Compiles each distinct (controller, handler) declaration once, so the routes of one
 * declaration share one policy object; two declarations never do, whatever their argument.
 */
function memoizedCompiler(
  defaults: MergedPolicy,
  named: ReadonlyMap<string, DeclaredPolicy>,
  toDynamicCheck: DynamicCheckFactory,
  report: CompileReport,
) {
  const compiled = new Map<unknown, Map<unknown, CompiledPolicy>>();
  const memoKey = declarationKeys();
  return (controller: PolicyLevel, handler: PolicyLevel): CompiledPolicy => {
    // Handlers without a decorator share their controller's policy (and the defaults, their module's).
    const handlerKey = memoKey(handler);
    const controllerKey = memoKey(controller);
    let byHandler = compiled.get(controllerKey);
    if (byHandler === undefined) compiled.set(controllerKey, (byHandler = new Map<unknown, CompiledPolicy>()));
    const known = byHandler.get(handlerKey);
    if (known !== undefined) return known;
    const merged = mergePolicy(defaults, named, [controller, handler], report.errors);
    // The most specific level that declares something names the policy.
    const describedAs = [handler, controller].find((level) => level.argument !== undefined)?.declaredAt ?? MODULE_DEFAULTS_LABEL;
    const policy = compilePolicy(merged, describedAs, toDynamicCheck, report);
    byHandler.set(handlerKey, policy);
    return policy;
  };
}

const NO_DECORATOR = Symbol('no @CorsPolicy');

/**
 * What a compiled policy is shared by: one declaration (where, and what). The policy names
 * where it was declared (`describedAs`: debug lines, decisions, the policy map), and a name,
 * `false` or one options object is written on many classes, handlers and gateways; so the key
 * is never the argument alone. The argument stays in it because two classes may share a name.
 */
function declarationKeys(): (level: PolicyLevel) => unknown {
  const objectIds = new Map<object, number>();
  return (level) => {
    const { argument, declaredAt } = level;
    if (argument === undefined) return NO_DECORATOR;
    if (typeof argument !== 'object') return `${declaredAt}\u0000${JSON.stringify(argument)}`;
    let id = objectIds.get(argument);
    if (id === undefined) objectIds.set(argument, (id = objectIds.size));
    return `${declaredAt}\u0000#${id}`;
  };
}

function compileHosts(host: string | RegExp | Array<string | RegExp>): RegExp[] {
  return (Array.isArray(host) ? host : [host]).map((item) => (typeof item === 'string' ? hostPattern(item) : item));
}

/** Nest matches `@Controller({ host })` with path-to-regexp's default options. */
function hostPattern(host: string): RegExp {
  return pathToRegexp(host).regexp;
}
